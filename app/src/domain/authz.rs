//! Who may do what: the SPEC's role table as one pure function, used by every service.

use super::enums::Role;
use super::ids::UserId;

/// A kind of operation. Reads of records are open to every signed-in user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// Read anything, dashboards included.
    Read,
    /// Users, roles, other people's tokens, settings, import.
    Administer,
    /// Create or revoke an API token for oneself (every role: the SPEC's "every user manages
    /// their own API tokens", e.g. a viewer's calendar feed; a token never widens its role).
    ManageOwnTokens,
    /// Create and edit incidents and their timelines.
    WriteIncident,
    /// Create and edit postmortems, and move them through review.
    WritePostmortem,
    /// Create and edit known errors and their links.
    WriteKnownError,
    /// Create actions.
    CreateAction,
    /// Edit or transition an action whose owner is `owner`.
    ChangeAction { owner: Option<UserId> },
    /// Comment on a record.
    Comment,
}

/// Whether `role` (acting as `me`) may perform `op`.
pub fn allows(role: Role, me: UserId, op: Op) -> bool {
    use Op::*;
    match role {
        Role::Admin => true,
        Role::Responder => !matches!(op, Administer),
        Role::Member => match op {
            Read | Comment | ManageOwnTokens => true,
            ChangeAction { owner } => owner == Some(me),
            _ => false,
        },
        Role::Viewer => matches!(op, Read | ManageOwnTokens),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ME: UserId = UserId(1);
    const OTHER: UserId = UserId(2);

    fn ops() -> Vec<Op> {
        vec![
            Op::Read,
            Op::Administer,
            Op::ManageOwnTokens,
            Op::WriteIncident,
            Op::WritePostmortem,
            Op::WriteKnownError,
            Op::CreateAction,
            Op::ChangeAction { owner: Some(ME) },
            Op::ChangeAction { owner: Some(OTHER) },
            Op::ChangeAction { owner: None },
            Op::Comment,
        ]
    }

    #[test]
    fn the_role_table_of_the_spec() {
        for op in ops() {
            assert!(allows(Role::Admin, ME, op), "admin may {op:?}");
            assert_eq!(
                allows(Role::Responder, ME, op),
                op != Op::Administer,
                "responder {op:?}"
            );
            let member = matches!(
                op,
                Op::Read | Op::Comment | Op::ManageOwnTokens | Op::ChangeAction { owner: Some(ME) }
            );
            assert_eq!(allows(Role::Member, ME, op), member, "member {op:?}");
            assert_eq!(
                allows(Role::Viewer, ME, op),
                matches!(op, Op::Read | Op::ManageOwnTokens),
                "viewer {op:?}"
            );
        }
    }
}

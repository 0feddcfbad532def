//! The organisation-time-zone dates kept beside action times, recomputed after a time-zone change.

use chrono::NaiveDate;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::export::EXPORT_BATCH;
use crate::error::AppResult;
use crate::ssr::entities::action;
use crate::ssr::from_ms;
use crate::ssr::services::settings::OrgSettings;

/// After a time-zone change: the organisation-time-zone dates kept beside action times
/// (`created_on`, `completed_on`, `verified_on`, which the metrics compare with due dates),
/// recomputed in key order, in batches, only where they change.
pub async fn recompute_dates(txn: &impl ConnectionTrait, s: &OrgSettings) -> AppResult<usize> {
    use sea_orm::sea_query::{CaseStatement, Expr};
    type Row = (
        i64,
        i64,
        NaiveDate,
        Option<i64>,
        Option<NaiveDate>,
        Option<i64>,
        Option<NaiveDate>,
    );
    let cal = s.calendar();
    let mut after = 0i64;
    let mut changed = 0;
    loop {
        let rows: Vec<Row> = action::Entity::find()
            .select_only()
            .column(action::Column::Id)
            .column(action::Column::CreatedAt)
            .column(action::Column::CreatedOn)
            .column(action::Column::CompletedAt)
            .column(action::Column::CompletedOn)
            .column(action::Column::VerifiedAt)
            .column(action::Column::VerifiedOn)
            .filter(action::Column::Id.gt(after))
            .order_by_asc(action::Column::Id)
            .limit(EXPORT_BATCH)
            .into_tuple()
            .all(txn)
            .await?;
        let Some(last) = rows.last() else {
            return Ok(changed);
        };
        after = last.0;
        let date = |t: i64| cal.date_of(from_ms(t));
        let fix: Vec<(i64, NaiveDate, Option<NaiveDate>, Option<NaiveDate>)> = rows
            .iter()
            .filter_map(|(id, c, con, d, don, v, von)| {
                let new = (date(*c), d.map(date), v.map(date));
                (new != (*con, *don, *von)).then_some((*id, new.0, new.1, new.2))
            })
            .collect();
        for chunk in fix.chunks(500) {
            let (mut created, mut completed, mut verified) = (
                CaseStatement::new(),
                CaseStatement::new(),
                CaseStatement::new(),
            );
            for (id, c, d, v) in chunk {
                created = created.case(action::Column::Id.eq(*id), Expr::val(*c));
                completed = completed.case(action::Column::Id.eq(*id), Expr::val(*d));
                verified = verified.case(action::Column::Id.eq(*id), Expr::val(*v));
            }
            action::Entity::update_many()
                .col_expr(action::Column::CreatedOn, created.into())
                .col_expr(action::Column::CompletedOn, completed.into())
                .col_expr(action::Column::VerifiedOn, verified.into())
                .filter(action::Column::Id.is_in(chunk.iter().map(|r| r.0)))
                .exec(txn)
                .await?;
            changed += chunk.len();
        }
    }
}

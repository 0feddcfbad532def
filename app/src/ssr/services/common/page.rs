//! One keyset pager for every list and export: newest first by a unique integer key, `limit + 1`
//! rows read to know whether there is a next page, and the last key shown as the opaque
//! cursor of the next one. No list ever counts or offsets over a whole table.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select};

use crate::error::{AppError, AppResult};
use crate::model::Page;

/// Default and largest page sizes of lists.
pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 200;

/// A page request: how many rows, and the key the page continues below.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Keyset {
    pub limit: u64,
    pub after: Option<i64>,
}

impl Keyset {
    /// From a list's `limit` (clamped to 1 … [`MAX_LIMIT`]) and `page` cursor; a cursor that
    /// no page gave is a 422 naming `page`.
    pub fn new(limit: Option<u32>, page: Option<&str>) -> AppResult<Self> {
        let limit = u64::from(limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT));
        let after =
            match page.map(str::trim).filter(|s| !s.is_empty()) {
                None => None,
                Some(c) => Some(c.parse::<i64>().map_err(|_| {
                    AppError::invalid("page", "is not a cursor from a previous page")
                })?),
            };
        Ok(Self { limit, after })
    }

    /// Batches of `size` rows from the start (exports read everything this way).
    pub fn batch(size: u64) -> Self {
        Self {
            limit: size,
            after: None,
        }
    }

    /// `q` below the cursor, newest first by `key`, one row more than the page holds.
    pub fn apply<E: EntityTrait>(&self, mut q: Select<E>, key: E::Column) -> Select<E> {
        if let Some(after) = self.after {
            q = q.filter(key.lt(after));
        }
        q.order_by_desc(key).limit(self.limit + 1)
    }

    /// Cuts the extra row off and returns the page's rows and the next page's cursor.
    pub fn finish<T>(&self, mut rows: Vec<T>, key: impl Fn(&T) -> i64) -> (Vec<T>, Option<i64>) {
        let limit = usize::try_from(self.limit).unwrap_or(usize::MAX);
        if rows.len() > limit {
            rows.truncate(limit);
            let next = rows.last().map(&key);
            (rows, next)
        } else {
            (rows, None)
        }
    }

    /// The request for the page after one that returned `next` (exports walk on with it).
    pub fn next(self, next: Option<i64>) -> Option<Self> {
        next.map(|after| Self {
            after: Some(after),
            ..self
        })
    }
}

/// A whole table read in batches, oldest first by a unique integer `key` (the exports and the
/// background jobs walk this way): each batch continues above the last key of the one before,
/// so memory holds one batch and no row is read twice or skipped.
pub struct Batches<E: EntityTrait> {
    key: E::Column,
    key_of: fn(&E::Model) -> i64,
    size: u64,
    last: Option<i64>,
    done: bool,
}

impl<E: EntityTrait> Batches<E> {
    /// Batches of `size` rows by `key`; `key_of` reads that key from a row.
    pub fn new(key: E::Column, key_of: fn(&E::Model) -> i64, size: u64) -> Self {
        Self {
            key,
            key_of,
            size,
            last: None,
            done: false,
        }
    }

    /// The next batch of rows that `q` selects, or `None` after the last.
    pub async fn next(
        &mut self,
        db: &impl sea_orm::ConnectionTrait,
        mut q: Select<E>,
    ) -> AppResult<Option<Vec<E::Model>>> {
        if self.done {
            return Ok(None);
        }
        if let Some(last) = self.last {
            q = q.filter(self.key.gt(last));
        }
        let rows = q.order_by_asc(self.key).limit(self.size).all(db).await?;
        self.done = (rows.len() as u64) < self.size;
        match rows.last() {
            Some(r) => {
                self.last = Some((self.key_of)(r));
                Ok(Some(rows))
            }
            None => Ok(None),
        }
    }
}

/// Rows grouped by the parent they belong to, in the order they were read: the children of a
/// batch of records, read in one statement, then taken record by record.
pub struct Children<T>(std::collections::HashMap<i64, Vec<T>>);

impl<T> Children<T> {
    /// Groups `rows` by `parent`.
    pub fn of(rows: Vec<T>, parent: impl Fn(&T) -> i64) -> Self {
        let mut map: std::collections::HashMap<i64, Vec<T>> = std::collections::HashMap::new();
        for r in rows {
            map.entry(parent(&r)).or_default().push(r);
        }
        Self(map)
    }

    /// The rows `q` selects whose `fk` is one of `parents`, grouped by it (one statement).
    pub async fn read<E>(
        db: &impl sea_orm::ConnectionTrait,
        q: Select<E>,
        fk: E::Column,
        parents: &[i64],
        parent: impl Fn(&T) -> i64,
    ) -> AppResult<Self>
    where
        E: EntityTrait<Model = T>,
    {
        let rows = q.filter(fk.is_in(parents.iter().copied())).all(db).await?;
        Ok(Self::of(rows, parent))
    }

    /// The children of `parent`, each handed out once.
    pub fn take(&mut self, parent: i64) -> std::vec::IntoIter<T> {
        self.0.remove(&parent).unwrap_or_default().into_iter()
    }
}

/// A page of `items` with the cursor `finish` gave.
pub fn page<T>(items: Vec<T>, next: Option<i64>) -> Page<T> {
    Page {
        items,
        next: next.map(|n| n.to_string()),
    }
}

/// The empty page (a filter that can match nothing).
pub fn empty<T>() -> Page<T> {
    Page {
        items: Vec::new(),
        next: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_clamp_and_cursors_parse() {
        assert_eq!(Keyset::new(None, None).unwrap().limit, 50);
        assert_eq!(Keyset::new(Some(0), None).unwrap().limit, 1);
        assert_eq!(Keyset::new(Some(10_000), None).unwrap().limit, 200);
        assert_eq!(Keyset::new(None, Some("")).unwrap().after, None);
        assert_eq!(Keyset::new(None, Some("17")).unwrap().after, Some(17));
        let e = Keyset::new(None, Some("x")).unwrap_err();
        assert_eq!(e.fields()[0].field, "page");
    }

    #[test]
    fn finish_cuts_the_extra_row_and_names_the_last_key() {
        let k = Keyset::new(Some(2), None).unwrap();
        assert_eq!(k.finish(vec![9, 8, 7], |x| *x), (vec![9, 8], Some(8)));
        assert_eq!(k.finish(vec![9, 8], |x| *x), (vec![9, 8], None));
        assert_eq!(k.next(Some(8)).unwrap().after, Some(8));
        assert!(k.next(None).is_none());
    }
}

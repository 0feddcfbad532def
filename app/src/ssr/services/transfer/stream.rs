//! Reading an import document a record at a time. The document is walked from its source
//! (a file, or bytes in memory) without ever being held whole: each record of the lists the
//! caller wants becomes one JSON value, handed on and dropped; the other lists are skipped
//! unparsed. The top-level keys may come in any order.

use std::collections::HashSet;
use std::fmt;
use std::io::BufReader;
use std::path::PathBuf;
use std::sync::Arc;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use crate::error::{AppError, FieldError};

/// Where an import document is read from; each pass opens it again.
#[derive(Clone)]
pub enum Source {
    /// A document in memory (small documents and tests).
    Bytes(Arc<[u8]>),
    /// A document in a file (the CLI's file, or an upload spooled to disk).
    File(Arc<PathBuf>),
}

impl Source {
    pub fn bytes(b: &[u8]) -> Self {
        Self::Bytes(Arc::from(b))
    }
    pub fn file(path: impl Into<PathBuf>) -> Self {
        Self::File(Arc::new(path.into()))
    }
}

/// The record lists of a document.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub(super) enum List {
    Users,
    Incidents,
    KnownErrors,
    Actions,
    Comments,
}

impl List {
    pub const ALL: [List; 5] = [
        List::Users,
        List::Incidents,
        List::KnownErrors,
        List::Actions,
        List::Comments,
    ];

    pub fn name(self) -> &'static str {
        match self {
            List::Users => "users",
            List::Incidents => "incidents",
            List::KnownErrors => "known_errors",
            List::Actions => "actions",
            List::Comments => "comments",
        }
    }

    fn of(key: &str) -> Option<List> {
        Self::ALL.into_iter().find(|l| l.name() == key)
    }
}

/// What a walk hands on, in the order of the document.
pub(super) enum Item {
    /// The value of `format`.
    Format(Value),
    /// The value of `settings` (absent or `null`: never handed on).
    Settings(Value),
    /// Record number `index` of a list.
    Record(List, usize, Value),
}

/// Why a walk ended early.
#[derive(Debug)]
pub(super) enum Stopped {
    /// The document is not JSON, or its top level is not shaped as a document.
    Bad(FieldError),
    /// The callback asked to stop (its receiver went away).
    Halted,
    /// Reading the source failed.
    Io(std::io::Error),
}

impl From<Stopped> for AppError {
    fn from(s: Stopped) -> Self {
        match s {
            Stopped::Bad(f) => AppError::invalid_many(vec![f]),
            Stopped::Halted => AppError::internal(),
            Stopped::Io(e) => {
                tracing::error!(error = %e, "reading the import document failed");
                AppError::internal()
            }
        }
    }
}

/// Walks the document, calling `f` for `format`, `settings` and every record of the lists in
/// `wanted`; `f` returns false to stop. The whole document is read to its end, so a syntax
/// error anywhere is found, and unknown top-level keys are ignored.
pub(super) fn walk(
    source: &Source,
    wanted: &[List],
    mut f: impl FnMut(Item) -> bool,
) -> Result<(), Stopped> {
    match source {
        Source::Bytes(b) => run(&mut serde_json::Deserializer::from_slice(b), wanted, &mut f),
        Source::File(path) => {
            let file = std::fs::File::open(path.as_ref()).map_err(Stopped::Io)?;
            let reader = BufReader::with_capacity(1 << 16, file);
            run(
                &mut serde_json::Deserializer::from_reader(reader),
                wanted,
                &mut f,
            )
        }
    }
}

fn run<'de, R: serde_json::de::Read<'de>>(
    de: &mut serde_json::Deserializer<R>,
    wanted: &[List],
    f: &mut dyn FnMut(Item) -> bool,
) -> Result<(), Stopped> {
    let mut w = Walk {
        wanted,
        f,
        section: None,
        halted: false,
    };
    let result = de::Deserializer::deserialize_map(&mut *de, &mut w).and_then(|()| de.end());
    match result {
        Ok(()) => Ok(()),
        Err(_) if w.halted => Err(Stopped::Halted),
        Err(e) => Err(match e.classify() {
            serde_json::error::Category::Io => Stopped::Io(e.into()),
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
                Stopped::Bad(FieldError {
                    record: Some("document".into()),
                    field: "body".into(),
                    message: format!("is not JSON: {e}"),
                })
            }
            serde_json::error::Category::Data => Stopped::Bad(FieldError {
                record: Some("document".into()),
                field: w.section.unwrap_or("format").into(),
                message: e.to_string(),
            }),
        }),
    }
}

struct Walk<'a> {
    wanted: &'a [List],
    f: &'a mut dyn FnMut(Item) -> bool,
    /// The top-level key being read, for errors.
    section: Option<&'static str>,
    halted: bool,
}

impl Walk<'_> {
    fn give<E: de::Error>(&mut self, item: Item) -> Result<(), E> {
        if (self.f)(item) {
            Ok(())
        } else {
            self.halted = true;
            Err(E::custom("stopped"))
        }
    }
}

impl<'de> Visitor<'de> for &mut Walk<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a hindsight/v1 document (a JSON object)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                return Err(de::Error::custom(format_args!("duplicate field `{key}`")));
            }
            match key.as_str() {
                "format" => {
                    self.section = Some("format");
                    let v: Value = map.next_value()?;
                    self.give(Item::Format(v))?;
                }
                "settings" => {
                    self.section = Some("settings");
                    let v: Value = map.next_value()?;
                    if !v.is_null() {
                        self.give(Item::Settings(v))?;
                    }
                }
                k => match List::of(k) {
                    Some(list) if self.wanted.contains(&list) => {
                        self.section = Some(list.name());
                        map.next_value_seed(Records { walk: self, list })?;
                    }
                    Some(list) => {
                        self.section = Some(list.name());
                        map.next_value::<IgnoredAny>()?;
                    }
                    None => {
                        self.section = None;
                        map.next_value::<IgnoredAny>()?;
                    }
                },
            }
            self.section = None;
        }
        Ok(())
    }
}

/// One list: each element read as a value and handed on.
struct Records<'w, 'a> {
    walk: &'w mut Walk<'a>,
    list: List,
}

impl<'de> DeserializeSeed<'de> for Records<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Records<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a list of {}", self.list.name())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0;
        while let Some(v) = seq.next_element::<Value>()? {
            self.walk.give(Item::Record(self.list, i, v))?;
            i += 1;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(doc: &str, wanted: &[List]) -> Result<Vec<String>, Stopped> {
        let mut out = Vec::new();
        let src = Source::bytes(doc.as_bytes());
        walk(&src, wanted, |item| {
            out.push(match item {
                Item::Format(v) => format!("format={v}"),
                Item::Settings(v) => format!("settings={v}"),
                Item::Record(l, i, v) => format!("{}[{i}]={v}", l.name()),
            });
            true
        })?;
        Ok(out)
    }

    #[test]
    fn hands_on_the_wanted_lists_in_document_order_and_skips_the_rest() {
        let doc = r#"{"actions":[{"key":"ACT-1"}],"exported_at":"x","format":"hindsight/v1",
            "incidents":[{"key":"INC-1"},{"key":"INC-2"}],"settings":null,"users":[1]}"#;
        assert_eq!(
            items(doc, &[List::Incidents, List::Actions]).unwrap(),
            [
                r#"actions[0]={"key":"ACT-1"}"#,
                r#"format="hindsight/v1""#,
                r#"incidents[0]={"key":"INC-1"}"#,
                r#"incidents[1]={"key":"INC-2"}"#,
            ]
        );
    }

    #[test]
    fn names_what_is_wrong_with_the_top_level() {
        let bad = |doc: &str| match items(doc, &List::ALL) {
            Err(Stopped::Bad(f)) => (f.field, f.message),
            other => panic!("{doc}: {other:?}"),
        };
        assert_eq!(bad("{not json").0, "body");
        assert_eq!(bad(r#"{"users":[]} trailing"#).0, "body");
        assert_eq!(bad(r#"{"users":[],"#).0, "body");
        assert_eq!(bad("[1,2]").0, "format");
        assert_eq!(bad(r#"{"incidents":5}"#).0, "incidents");
        let (field, message) = bad(r#"{"users":[],"users":[]}"#);
        assert_eq!(field, "format");
        assert!(message.contains("duplicate field `users`"), "{message}");
    }

    #[test]
    fn stops_when_asked() {
        let src = Source::bytes(br#"{"incidents":[1,2,3]}"#);
        let mut n = 0;
        let r = walk(&src, &[List::Incidents], |_| {
            n += 1;
            n < 2
        });
        assert!(matches!(r, Err(Stopped::Halted)));
        assert_eq!(n, 2);
    }

    #[test]
    fn reads_a_file_as_it_reads_bytes() {
        let path = std::env::temp_dir().join(format!("hindsight-walk-{}.json", std::process::id()));
        std::fs::write(&path, r#"{"format":"hindsight/v1","comments":[{"id":1}]}"#).unwrap();
        let mut out = Vec::new();
        walk(&Source::file(&path), &[List::Comments], |item| {
            if let Item::Record(l, i, v) = item {
                out.push((l, i, v));
            }
            true
        })
        .unwrap();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(out, [(List::Comments, 0, serde_json::json!({"id": 1}))]);
    }
}

//! Text similarity for known-error suggestions: one analyzer (lower case, stop words, English
//! Snowball stems) and Okapi BM25 over an inverted index kept in the database
//! (`known_error_terms`). Scoring runs here, on the postings of the query's terms only, so
//! SQLite and PostgreSQL rank exactly alike.

use std::collections::{BTreeMap, HashMap};

use rust_stemmers::{Algorithm, Stemmer};

/// BM25 parameters (the usual defaults).
pub const K1: f64 = 1.2;
pub const B: f64 = 0.75;

/// Words too common in incident writing to tell problems apart.
const STOP: &[&str] = &[
    "a",
    "about",
    "after",
    "again",
    "all",
    "also",
    "am",
    "an",
    "and",
    "any",
    "are",
    "as",
    "at",
    "be",
    "because",
    "been",
    "before",
    "being",
    "between",
    "both",
    "but",
    "by",
    "can",
    "could",
    "did",
    "do",
    "does",
    "doing",
    "down",
    "during",
    "each",
    "few",
    "for",
    "from",
    "further",
    "had",
    "has",
    "have",
    "having",
    "he",
    "her",
    "here",
    "him",
    "his",
    "how",
    "i",
    "if",
    "in",
    "into",
    "is",
    "it",
    "its",
    "just",
    "me",
    "more",
    "most",
    "my",
    "no",
    "nor",
    "not",
    "now",
    "of",
    "off",
    "on",
    "once",
    "only",
    "or",
    "other",
    "our",
    "out",
    "over",
    "own",
    "same",
    "she",
    "should",
    "so",
    "some",
    "such",
    "than",
    "that",
    "the",
    "their",
    "them",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "through",
    "to",
    "too",
    "under",
    "until",
    "up",
    "very",
    "was",
    "we",
    "were",
    "what",
    "when",
    "where",
    "which",
    "while",
    "who",
    "whom",
    "why",
    "will",
    "with",
    "would",
    "you",
    "your",
    "via",
    "per",
    "within",
    "without",
    "yet",
    "got",
    "get",
    "gets",
    "see",
    "seen",
    "saw",
    "still",
    "around",
    "started",
    "start",
    "issue",
    "issues",
    "problem",
    "problems",
    "incident",
    "incidents",
    "some",
    "users",
    "user",
    "customers",
    "customer",
];

/// Turns text into index terms.
pub struct Analyzer {
    stemmer: Stemmer,
}

impl Default for Analyzer {
    fn default() -> Self {
        Self {
            stemmer: Stemmer::create(Algorithm::English),
        }
    }
}

impl Analyzer {
    /// The terms of `text`, in order: words of letters and digits, lower-cased, stop words and
    /// one-character words dropped, stemmed; markdown and punctuation are separators.
    pub fn terms(&self, text: &str) -> Vec<String> {
        text.split(|c: char| !c.is_alphanumeric())
            .filter(|w| w.chars().count() > 1 && w.chars().count() <= 40)
            .map(str::to_lowercase)
            .filter(|w| !STOP.contains(&w.as_str()))
            .map(|w| self.stemmer.stem(&w).into_owned())
            .collect()
    }

    /// Term frequencies of weighted fields: each field's terms count `weight` times.
    pub fn frequencies(&self, fields: &[(&str, u32)]) -> BTreeMap<String, u32> {
        let mut tf = BTreeMap::new();
        for (text, weight) in fields {
            for t in self.terms(text) {
                *tf.entry(t).or_insert(0) += weight;
            }
        }
        tf
    }
}

/// One posting: a document containing a query term, with its frequency there and the
/// document's length (total term count).
#[derive(Debug, Clone, PartialEq)]
pub struct Posting {
    pub doc: i64,
    pub term: String,
    pub tf: u32,
    pub doc_len: u32,
}

/// BM25 score of every document that shares a term with the query. `n_docs` and `avg_len`
/// describe the whole indexed collection; document frequencies are counted from the postings
/// (which hold every document that has any query term). Query terms repeated in the query
/// weigh more, with saturation.
pub fn bm25(
    query: &BTreeMap<String, u32>,
    postings: &[Posting],
    n_docs: u64,
    avg_len: f64,
) -> HashMap<i64, f64> {
    let mut df: HashMap<&str, u64> = HashMap::new();
    for p in postings {
        *df.entry(p.term.as_str()).or_insert(0) += 1;
    }
    let n = n_docs.max(1) as f64;
    let avg = if avg_len > 0.0 { avg_len } else { 1.0 };
    let mut scores: HashMap<i64, f64> = HashMap::new();
    for p in postings {
        let Some(&qtf) = query.get(&p.term) else {
            continue;
        };
        let d = df.get(p.term.as_str()).copied().unwrap_or(1) as f64;
        let idf = ((n - d + 0.5) / (d + 0.5) + 1.0).ln();
        let tf = f64::from(p.tf);
        let norm = tf * (K1 + 1.0) / (tf + K1 * (1.0 - B + B * f64::from(p.doc_len) / avg));
        // Query-term weight saturates too (k3 = 1.5).
        let q = f64::from(qtf);
        let qw = q * 2.5 / (q + 1.5);
        *scores.entry(p.doc).or_insert(0.0) += idf * norm * qw;
    }
    scores
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_are_stemmed_lower_case_words_without_stop_words() {
        let a = Analyzer::default();
        assert_eq!(
            a.terms("The **Checkout** pods were OOM-killed; connections timing out (HTTP 502)"),
            [
                "checkout", "pod", "oom", "kill", "connect", "time", "http", "502"
            ]
        );
        assert!(a.terms("a I the of").is_empty());
    }

    #[test]
    fn field_weights_multiply_frequencies() {
        let a = Analyzer::default();
        let tf = a.frequencies(&[("DNS failure", 2), ("dns resolver timeouts", 1)]);
        assert_eq!(tf["dns"], 3);
        assert_eq!(tf["failur"], 2);
        assert_eq!(tf["resolv"], 1);
    }

    #[test]
    fn rarer_and_more_frequent_terms_score_higher() {
        let q: BTreeMap<String, u32> = [("dns".to_owned(), 1), ("timeout".to_owned(), 1)].into();
        let postings = vec![
            // Doc 1 has the rare term "dns"; doc 2 only the common "timeout"; doc 3 both.
            Posting {
                doc: 1,
                term: "dns".into(),
                tf: 1,
                doc_len: 10,
            },
            Posting {
                doc: 2,
                term: "timeout".into(),
                tf: 1,
                doc_len: 10,
            },
            Posting {
                doc: 3,
                term: "dns".into(),
                tf: 1,
                doc_len: 10,
            },
            Posting {
                doc: 3,
                term: "timeout".into(),
                tf: 1,
                doc_len: 10,
            },
            Posting {
                doc: 4,
                term: "timeout".into(),
                tf: 1,
                doc_len: 10,
            },
            Posting {
                doc: 5,
                term: "timeout".into(),
                tf: 3,
                doc_len: 10,
            },
        ];
        let s = bm25(&q, &postings, 20, 10.0);
        assert!(s[&3] > s[&1] && s[&1] > s[&2], "{s:?}");
        assert!(s[&5] > s[&4], "more occurrences score higher: {s:?}");
        // Longer documents are normalised down.
        let long = bm25(
            &q,
            &[Posting {
                doc: 9,
                term: "dns".into(),
                tf: 1,
                doc_len: 100,
            }],
            20,
            10.0,
        );
        assert!(long[&9] < s[&1]);
    }
}

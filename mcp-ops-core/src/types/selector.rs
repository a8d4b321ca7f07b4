//! [`LabelSelector`]: equality- and set-based label selectors in kubectl syntax
//! (`app=mcp-typescript-api,tier in (api,ml),!canary`).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::names::check_dns_subdomain;
use crate::{Error, Result};

const FIELD: &str = "selector";
const NAME_MAX: usize = 63;

/// What a [`Requirement`] asks of a label.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SelectorOp {
    /// `key=value` (or `key==value`): the label is present with this value.
    Equals(String),
    /// `key!=value`: the label is absent or has another value.
    NotEquals(String),
    /// `key in (a,b)`: the label is present with one of the values.
    In(BTreeSet<String>),
    /// `key notin (a,b)`: the label is absent or has none of the values.
    NotIn(BTreeSet<String>),
    /// `key`: the label is present.
    Exists,
    /// `!key`: the label is absent.
    DoesNotExist,
}

/// One condition on one label key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Requirement {
    /// The label key, e.g. `app` or `app.kubernetes.io/name`.
    pub key: String,
    /// The condition.
    pub op: SelectorOp,
}

impl Requirement {
    /// Whether `labels` satisfy this requirement.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        let value = labels.get(&self.key);
        match &self.op {
            SelectorOp::Equals(v) => value == Some(v),
            SelectorOp::NotEquals(v) => value != Some(v),
            SelectorOp::In(set) => value.is_some_and(|x| set.contains(x)),
            SelectorOp::NotIn(set) => !value.is_some_and(|x| set.contains(x)),
            SelectorOp::Exists => value.is_some(),
            SelectorOp::DoesNotExist => value.is_none(),
        }
    }
}

/// A conjunction of label requirements. The empty selector matches everything.
///
/// Requirements are kept sorted and without duplicates, so two selectors that mean the same
/// conditions in a different order are equal; `Display` writes them in that canonical order
/// and the text parses back to an equal selector.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct LabelSelector {
    requirements: Vec<Requirement>,
}

/// Checks a label key: optional DNS-subdomain prefix and `/`, then a name of up to 63
/// characters of `[A-Za-z0-9-_.]` starting and ending with a letter or digit.
pub fn check_label_key(key: &str) -> Result<()> {
    let name = match key.split_once('/') {
        Some((prefix, name)) => {
            check_dns_subdomain(FIELD, prefix).map_err(|e| match e {
                Error::InvalidInput { reason, .. } => {
                    Error::invalid(FIELD, format!("label key prefix of {key:?}: {reason}"))
                }
                other => other,
            })?;
            name
        }
        None => key,
    };
    if name.is_empty() {
        return Err(Error::invalid(
            FIELD,
            format!("label key {key:?} has an empty name"),
        ));
    }
    check_name_chars("label key", name)
}

/// Checks a label value: empty, or up to 63 characters of `[A-Za-z0-9-_.]` starting and ending
/// with a letter or digit.
pub fn check_label_value(value: &str) -> Result<()> {
    if value.is_empty() {
        return Ok(());
    }
    check_name_chars("label value", value)
}

fn check_name_chars(what: &str, s: &str) -> Result<()> {
    if s.len() > NAME_MAX {
        return Err(Error::invalid(
            FIELD,
            format!(
                "{what} {s:?} is {} characters long; at most {NAME_MAX} are allowed",
                s.len()
            ),
        ));
    }
    if let Some(c) = s
        .chars()
        .find(|&c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        return Err(Error::invalid(
            FIELD,
            format!(
                "{what} {s:?} contains {c:?}; only letters, digits, '-', '_' and '.' are allowed"
            ),
        ));
    }
    let alnum = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    if !alnum(s.chars().next()) || !alnum(s.chars().last()) {
        return Err(Error::invalid(
            FIELD,
            format!("{what} {s:?} must start and end with a letter or digit"),
        ));
    }
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token<'a> {
    Word(&'a str),
    Bang,
    Eq,
    DoubleEq,
    NotEq,
    Open,
    Close,
    Comma,
    Other(char),
}

fn tokenize(s: &str) -> Vec<Token<'_>> {
    let special = |c: char| c.is_whitespace() || "!=(),<>".contains(c);
    let mut out = Vec::new();
    let mut rest = s.trim_start();
    while let Some(c) = rest.chars().next() {
        let (tok, len) = match c {
            '!' if rest.starts_with("!=") => (Token::NotEq, 2),
            '!' => (Token::Bang, 1),
            '=' if rest.starts_with("==") => (Token::DoubleEq, 2),
            '=' => (Token::Eq, 1),
            '(' => (Token::Open, 1),
            ')' => (Token::Close, 1),
            ',' => (Token::Comma, 1),
            '<' | '>' => (Token::Other(c), 1),
            _ => {
                let end = rest.find(special).unwrap_or(rest.len());
                (Token::Word(&rest[..end]), end)
            }
        };
        out.push(tok);
        rest = rest[len..].trim_start();
    }
    out
}

struct Parser<'a> {
    toks: Vec<Token<'a>>,
    pos: usize,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<&Token<'a>> {
        self.toks.get(self.pos)
    }

    fn next(&mut self) -> Option<Token<'a>> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn at_end_of_requirement(&self) -> bool {
        matches!(self.peek(), None | Some(Token::Comma))
    }

    fn key(&mut self) -> Result<String> {
        match self.next() {
            Some(Token::Word(w)) => {
                check_label_key(w)?;
                Ok(w.to_owned())
            }
            other => Err(unexpected(other, "a label key")),
        }
    }

    fn requirement(&mut self) -> Result<Requirement> {
        if self.peek() == Some(&Token::Bang) {
            self.pos += 1;
            let key = self.key()?;
            return Ok(Requirement {
                key,
                op: SelectorOp::DoesNotExist,
            });
        }
        let key = self.key()?;
        if self.at_end_of_requirement() {
            return Ok(Requirement {
                key,
                op: SelectorOp::Exists,
            });
        }
        let op = match self.next() {
            Some(Token::Eq | Token::DoubleEq) => SelectorOp::Equals(self.value()?),
            Some(Token::NotEq) => SelectorOp::NotEquals(self.value()?),
            Some(Token::Word("in")) => SelectorOp::In(self.set()?),
            Some(Token::Word("notin")) => SelectorOp::NotIn(self.set()?),
            other => return Err(unexpected(other, "=, ==, !=, in or notin")),
        };
        Ok(Requirement { key, op })
    }

    fn value(&mut self) -> Result<String> {
        if self.at_end_of_requirement() {
            return Ok(String::new());
        }
        match self.next() {
            Some(Token::Word(w)) => {
                check_label_value(w)?;
                Ok(w.to_owned())
            }
            other => Err(unexpected(other, "a label value")),
        }
    }

    fn set(&mut self) -> Result<BTreeSet<String>> {
        match self.next() {
            Some(Token::Open) => {}
            other => return Err(unexpected(other, "'(' opening a value set")),
        }
        let mut set = BTreeSet::new();
        loop {
            match self.next() {
                Some(Token::Word(w)) => {
                    check_label_value(w)?;
                    set.insert(w.to_owned());
                }
                other => return Err(unexpected(other, "a value in the set")),
            }
            match self.next() {
                Some(Token::Comma) => {}
                Some(Token::Close) => return Ok(set),
                other => return Err(unexpected(other, "',' or ')' in the value set")),
            }
        }
    }
}

fn unexpected(tok: Option<Token<'_>>, wanted: &str) -> Error {
    let found = match tok {
        None => "the end".to_owned(),
        Some(Token::Word(w)) => format!("{w:?}"),
        Some(Token::Bang) => "'!'".to_owned(),
        Some(Token::Eq) => "'='".to_owned(),
        Some(Token::DoubleEq) => "'=='".to_owned(),
        Some(Token::NotEq) => "'!='".to_owned(),
        Some(Token::Open) => "'('".to_owned(),
        Some(Token::Close) => "')'".to_owned(),
        Some(Token::Comma) => "','".to_owned(),
        Some(Token::Other(c)) => format!("{c:?} (unsupported operator)"),
    };
    Error::invalid(FIELD, format!("expected {wanted}, found {found}"))
}

impl LabelSelector {
    /// Parses kubectl selector syntax. The empty string is the empty selector.
    pub fn parse(s: &str) -> Result<Self> {
        let mut p = Parser {
            toks: tokenize(s),
            pos: 0,
        };
        let mut requirements = Vec::new();
        if p.peek().is_none() {
            return Ok(Self::default());
        }
        loop {
            requirements.push(p.requirement()?);
            match p.next() {
                None => break,
                Some(Token::Comma) => {}
                other => return Err(unexpected(other, "',' or the end")),
            }
        }
        Ok(Self::from_requirements(requirements))
    }

    /// A selector from already-built requirements; every key and value is validated.
    pub fn new(requirements: Vec<Requirement>) -> Result<Self> {
        for r in &requirements {
            check_label_key(&r.key)?;
            match &r.op {
                SelectorOp::Equals(v) | SelectorOp::NotEquals(v) => check_label_value(v)?,
                SelectorOp::In(set) | SelectorOp::NotIn(set) => {
                    if set.is_empty() {
                        return Err(Error::invalid(
                            FIELD,
                            format!("the value set of {:?} is empty", r.key),
                        ));
                    }
                    for v in set {
                        if v.is_empty() {
                            return Err(Error::invalid(FIELD, "a set value is empty"));
                        }
                        check_label_value(v)?;
                    }
                }
                SelectorOp::Exists | SelectorOp::DoesNotExist => {}
            }
        }
        Ok(Self::from_requirements(requirements))
    }

    fn from_requirements(mut requirements: Vec<Requirement>) -> Self {
        requirements.sort();
        requirements.dedup();
        Self { requirements }
    }

    /// An equality selector for every label (`app=x,tier=y`).
    pub fn from_labels(labels: &BTreeMap<String, String>) -> Result<Self> {
        Self::new(
            labels
                .iter()
                .map(|(k, v)| Requirement {
                    key: k.clone(),
                    op: SelectorOp::Equals(v.clone()),
                })
                .collect(),
        )
    }

    /// The requirements, in canonical order.
    pub fn requirements(&self) -> &[Requirement] {
        &self.requirements
    }

    /// Whether `labels` satisfy every requirement.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.requirements.iter().all(|r| r.matches(labels))
    }

    /// Whether there are no requirements (the selector matches everything).
    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty()
    }
}

impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let set = |s: &BTreeSet<String>| s.iter().cloned().collect::<Vec<_>>().join(",");
        match &self.op {
            SelectorOp::Equals(v) => write!(f, "{}={v}", self.key),
            SelectorOp::NotEquals(v) => write!(f, "{}!={v}", self.key),
            SelectorOp::In(s) => write!(f, "{} in ({})", self.key, set(s)),
            SelectorOp::NotIn(s) => write!(f, "{} notin ({})", self.key, set(s)),
            SelectorOp::Exists => write!(f, "{}", self.key),
            SelectorOp::DoesNotExist => write!(f, "!{}", self.key),
        }
    }
}

impl fmt::Display for LabelSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, r) in self.requirements.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{r}")?;
        }
        Ok(())
    }
}

impl FromStr for LabelSelector {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::parse(s)
    }
}

impl TryFrom<String> for LabelSelector {
    type Error = Error;
    fn try_from(s: String) -> Result<Self> {
        Self::parse(&s)
    }
}

impl From<LabelSelector> for String {
    fn from(s: LabelSelector) -> String {
        s.to_string()
    }
}

#[cfg(test)]
#[path = "selector_tests.rs"]
mod tests;

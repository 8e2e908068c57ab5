//! The text form `name(key=value,…,flag,positional)` shared by function families
//! ([`super::FamilySpec::parse`]) and predictor labels (`crate::baselines::predictor_from_name`):
//! one parser, one set of rules and messages. Arguments are split at top-level commas only, so
//! an argument may itself be a `name(…)` (the two families of `convex`).

use crate::error::{Result, invalid};

/// Splits `text` at `sep` characters that are not inside parentheses.
pub(crate) fn split_top_level(text: &str, sep: char) -> Result<Vec<String>> {
    let (mut depth, mut start, mut parts) = (0i32, 0, Vec::new());
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            c if c == sep && depth == 0 => {
                parts.push(text[start..i].trim().to_string());
                start = i + 1;
            }
            _ => {}
        }
        if depth < 0 {
            return invalid(format!("unbalanced parentheses in '{text}'"));
        }
    }
    if depth != 0 {
        return invalid(format!("unbalanced parentheses in '{text}'"));
    }
    let last = text[start..].trim();
    if !last.is_empty() || !parts.is_empty() {
        parts.push(last.to_string());
    }
    Ok(parts)
}

/// The arguments of one label, consumed by name; leftovers are errors. Numbers must be finite
/// and non-negative (every parameter of a family or a predictor is), counts whole.
pub(crate) struct LabelArgs<'a> {
    name: &'a str,
    items: Vec<Option<String>>,
}

impl<'a> LabelArgs<'a> {
    /// Splits `name(arguments)` (`what` names the kind of text in messages: `family`,
    /// `predictor`) into the name and its arguments.
    ///
    /// # Errors
    /// [`crate::Error::InvalidInput`] for unbalanced parentheses.
    pub(crate) fn parse(text: &'a str, what: &str) -> Result<(&'a str, Self)> {
        let text = text.trim();
        let (name, items) = match text.find('(') {
            None => (text, Vec::new()),
            Some(open) => {
                let Some(inner) = text[open + 1..].strip_suffix(')') else {
                    return invalid(format!("unbalanced parentheses in {what} '{text}'"));
                };
                (text[..open].trim(), split_top_level(inner, ',')?)
            }
        };
        Ok((name, Self { name, items: items.into_iter().map(Some).collect() }))
    }

    /// The first item matching `pred`, removed; an error naming `key` if a second one matches.
    fn take(&mut self, key: &str, pred: impl Fn(&str) -> bool) -> Result<Option<String>> {
        let found = self.items.iter_mut().find(|s| s.as_deref().is_some_and(&pred)).and_then(Option::take);
        if found.is_some() && self.items.iter().any(|s| s.as_deref().is_some_and(&pred)) {
            return invalid(format!("{}: {key} is given more than once", self.name));
        }
        Ok(found)
    }

    /// A bare flag such as `bias`: present or not (`bias=1` is an error: a flag takes no value).
    pub(crate) fn flag(&mut self, key: &str) -> Result<bool> {
        let prefix = format!("{key}=");
        if let Some(item) = self.take(key, |s| s.starts_with(&prefix))? {
            return invalid(format!("{}: {key} is a flag and takes no value (got {item})", self.name));
        }
        Ok(self.take(key, |s| s == key)?.is_some())
    }

    pub(crate) fn number(&mut self, key: &str, default: f64) -> Result<f64> {
        let prefix = format!("{key}=");
        match self.take(key, |s| s.starts_with(&prefix))? {
            None => Ok(default),
            Some(item) => match item[prefix.len()..].trim().parse::<f64>() {
                Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
                _ => invalid(format!("{}: '{item}' needs a finite non-negative number", self.name)),
            },
        }
    }

    /// A whole number `key=n` (`0 ≤ n ≤ u32::MAX`); `2.7` or `1e30` are errors, not truncated.
    pub(crate) fn count(&mut self, key: &str, default: usize) -> Result<usize> {
        let v = self.number(key, default as f64)?;
        if v.fract() != 0.0 || v > f64::from(u32::MAX) {
            return invalid(format!("{}: {key} = {v} needs a whole number up to {}", self.name, u32::MAX));
        }
        Ok(v as usize)
    }

    pub(crate) fn positional<const N: usize>(&mut self) -> Result<[String; N]> {
        let found: Vec<String> =
            self.items.iter_mut().filter(|s| s.as_deref().is_some_and(|s| !s.contains('=') || s.contains('('))).filter_map(Option::take).take(N).collect();
        found.try_into().map_err(|f: Vec<String>| {
            crate::Error::InvalidInput(format!("{} needs {N} families as arguments (got {})", self.name, f.len()))
        })
    }

    pub(crate) fn finish(self) -> Result<()> {
        match self.items.into_iter().flatten().next() {
            None => Ok(()),
            Some(extra) => invalid(format!("{}: unknown argument '{extra}'", self.name)),
        }
    }
}


//! Every field that failed validation, with a message a person can act on.

use std::collections::BTreeMap;

/// Field name → what is wrong with it. Ordered, so pages and JSON list fields stably.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct FieldErrors(BTreeMap<String, String>);

impl FieldErrors {
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0
            .entry(field.to_owned())
            .or_insert_with(|| message.into());
    }

    /// Records the error of a parse, if any, and returns its value.
    pub fn check<T>(&mut self, field: &str, result: Result<T, String>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(message) => {
                self.add(field, message);
                None
            }
        }
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.get(field).map(String::as_str)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The same errors with their messages in `lang` (English where not translated).
    #[must_use]
    pub fn translated(&self, lang: convene_shared::i18n::Lang) -> Self {
        Self(
            self.0
                .iter()
                .map(|(k, v)| (k.clone(), convene_shared::i18n::translate_problem(v, lang)))
                .collect(),
        )
    }

    /// `Ok(value)` when nothing failed.
    ///
    /// # Errors
    /// `self` when any field failed.
    pub fn into_result<T>(self, value: impl FnOnce() -> T) -> Result<T, Self> {
        if self.is_empty() {
            Ok(value())
        } else {
            Err(self)
        }
    }
}

//! Finding where in the source text a semantic error lives.
//!
//! The RON parser reports positions for syntax and type errors only; once the
//! file is deserialised, positions are gone. For errors found later (an
//! unknown actor in an expression, a weight out of range) we search the text:
//! first the section (`actors:`), then each enclosing item by its
//! `id: "..."`, then the offending string or field. Ids are unique within a
//! section, so the search lands on the right item.

/// One step of a path into the file.
#[derive(Debug, Clone, Copy)]
pub enum Anchor<'a> {
    /// A top-level section such as `actors`.
    Section(&'a str),
    /// An item with `id: "<name>"`.
    Id(&'a str),
    /// A field name such as `weight` (its first occurrence after the anchor).
    Field(&'a str),
    /// A quoted string value, e.g. a reference to a name.
    Str(&'a str),
}

pub struct Locator<'a> {
    text: &'a str,
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

impl<'a> Locator<'a> {
    pub fn new(text: &'a str) -> Self {
        Locator { text }
    }

    /// Byte offset of the last anchor found along `path` (best effort).
    /// For `Str` anchors the offset is just inside the opening quote, so an
    /// expression error offset can be added to it.
    pub fn find(&self, path: &[Anchor]) -> Option<usize> {
        let mut pos = 0usize;
        let mut found = None;
        for a in path {
            if let Some(p) = self.find_one(*a, pos) {
                pos = p;
                found = Some(p);
            }
        }
        found
    }

    fn find_one(&self, a: Anchor, from: usize) -> Option<usize> {
        let t = self.text;
        match a {
            Anchor::Section(name) | Anchor::Field(name) => {
                let mut start = from;
                while let Some(i) = t.get(start..)?.find(name) {
                    let at = start + i;
                    let end = at + name.len();
                    let before_ok = at == 0 || !is_ident_byte(t.as_bytes()[at - 1]);
                    let rest = t[end..].trim_start();
                    if before_ok && rest.starts_with(':') && !t[end..].starts_with('"') {
                        return Some(at);
                    }
                    start = end;
                }
                None
            }
            Anchor::Id(id) => {
                let quoted = format!("\"{id}\"");
                let mut start = from;
                while let Some(i) = t.get(start..)?.find(&quoted) {
                    let at = start + i;
                    let before = t[..at].trim_end();
                    if let Some(b) = before.strip_suffix(':')
                        && b.trim_end().ends_with("id")
                    {
                        return Some(at + 1);
                    }
                    start = at + quoted.len();
                }
                None
            }
            Anchor::Str(s) => {
                let quoted = format!("\"{s}\"");
                t.get(from..)?.find(&quoted).map(|i| from + i + 1)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_nested_items() {
        let text = r#"(
  levers: [(id: "x", actor: "taliban")],
  actors: [
    (id: "us", interests: [(on: "gdp", weight: 0.5)]),
    (id: "taliban", interests: [(on: "gdp", weight: 2.0)], actions: [(id: "hold", when: "pakistn.strike")]),
  ],
)"#;
        let l = Locator::new(text);
        let w = l
            .find(&[
                Anchor::Section("actors"),
                Anchor::Id("taliban"),
                Anchor::Field("weight"),
            ])
            .unwrap();
        assert!(text[w..].starts_with("weight: 2.0"));
        let e = l
            .find(&[
                Anchor::Section("actors"),
                Anchor::Id("taliban"),
                Anchor::Id("hold"),
                Anchor::Str("pakistn.strike"),
            ])
            .unwrap();
        assert!(text[e..].starts_with("pakistn.strike"));
        // A missing anchor falls back to the last one found.
        let f = l.find(&[Anchor::Section("actors"), Anchor::Id("nobody")]).unwrap();
        assert!(text[f..].starts_with("actors"));
    }
}

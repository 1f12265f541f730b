//! A sorted list of strings searched like a trie: which of them a text
//! starts with.
//!
//! In: strings (each with a number the caller gives it). Out: for a text,
//! the strings it starts with, shortest first. Building is a sort, where
//! an Aho-Corasick automaton over thousands of strings takes milliseconds;
//! searching is several times slower per byte. A run over a few kilobytes
//! of text (one small article) is cheaper this way.

/// Strings sorted bytewise, all different, each with its number.
#[derive(Debug, Clone)]
pub struct SortedForms {
    forms: Vec<(String, usize)>,
    /// `forms[starts[b]..starts[b + 1]]` begin with byte `b`: the first
    /// byte, which every search narrows by, is one lookup.
    starts: Vec<u32>,
}

impl SortedForms {
    /// Sorts `forms`; of equal strings only the first keeps its number.
    pub fn new(mut forms: Vec<(String, usize)>) -> SortedForms {
        // A stable sort, so among equal strings the first given is kept.
        forms.sort_by(|a, b| a.0.cmp(&b.0));
        forms.dedup_by(|later, first| later.0 == first.0);
        let mut starts = vec![0u32; 257];
        for (form, _) in &forms {
            if let Some(&b) = form.as_bytes().first() {
                starts[usize::from(b) + 1] += 1;
            }
        }
        // The empty string, if any, sorts first; it starts no byte's run.
        starts[0] = u32::from(forms.first().is_some_and(|f| f.0.is_empty()));
        for b in 1..starts.len() {
            starts[b] += starts[b - 1];
        }
        SortedForms { forms, starts }
    }

    /// The string at `k` (as [`SortedForms::each_at`] names it) and its number.
    pub fn get(&self, k: usize) -> (&str, usize) {
        let (form, number) = &self.forms[k];
        (form, *number)
    }

    /// Calls `found(k)` for each string `text` starts with, shortest first.
    /// The strings starting with `text[..n]` are a run of the sorted list,
    /// the one equal to it (if any) first: each byte narrows the run.
    pub fn each_at(&self, text: &[u8], mut found: impl FnMut(usize)) {
        let Some(&first) = text.first() else {
            if self.starts[0] == 1 {
                found(0);
            }
            return;
        };
        if self.starts[0] == 1 {
            found(0);
        }
        let (mut low, mut high) = (
            self.starts[usize::from(first)] as usize,
            self.starts[usize::from(first) + 1] as usize,
        );
        for n in 1..=text.len() {
            if low < high && self.forms[low].0.len() == n {
                found(low);
                low += 1;
            }
            if low == high || n == text.len() {
                break;
            }
            // Every string left is longer than `n` bytes.
            let run = &self.forms[low..high];
            let byte = text[n];
            high = low + run.partition_point(|f| f.0.as_bytes()[n] <= byte);
            low += run.partition_point(|f| f.0.as_bytes()[n] < byte);
        }
    }

    /// The longest string `text` starts with.
    pub fn longest_at(&self, text: &[u8]) -> Option<usize> {
        let mut longest = None;
        self.each_at(text, |k| longest = Some(k));
        longest
    }
}

/// Text to compare ways of searching for `phrases` with: for each piece,
/// a phrase (`pick`, wrapping around), whole, upper-case, its first half
/// or its last two thirds (`cut`), then one of `joiners` (`join`).
#[cfg(test)]
pub(crate) fn text_of_pieces(
    phrases: &[&str],
    pieces: &[(usize, usize, usize)],
    joiners: &[&str],
) -> String {
    let mut text = String::new();
    for &(pick, cut, join) in pieces {
        let phrase = phrases[pick % phrases.len()];
        let chars: Vec<char> = phrase.chars().collect();
        let piece: String = match cut % 4 {
            0 => phrase.to_string(),
            1 => phrase.to_uppercase(),
            2 => chars[..chars.len() / 2].iter().collect(),
            _ => chars[chars.len() / 3..].iter().collect(),
        };
        text.push_str(&piece);
        text.push_str(joiners[join % joiners.len()]);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forms(list: &[&str]) -> SortedForms {
        SortedForms::new(
            list.iter()
                .enumerate()
                .map(|(i, f)| (f.to_string(), i))
                .collect(),
        )
    }

    #[test]
    fn finds_every_string_a_text_starts_with_shortest_first() {
        let sorted = forms(&["a", "ab", "abd", "b", "abcde", "\u{e9}t\u{e9}", "zz"]);
        let at = |text: &str| {
            let mut found = Vec::new();
            sorted.each_at(text.as_bytes(), |k| found.push(sorted.get(k).0.to_string()));
            found
        };
        assert_eq!(at("abcdx"), ["a", "ab"], "abcde does not fit");
        assert_eq!(at("abcde!"), ["a", "ab", "abcde"]);
        assert_eq!(at("abd"), ["a", "ab", "abd"]);
        assert_eq!(at("\u{e9}t\u{e9}s"), ["\u{e9}t\u{e9}"]);
        assert!(at("xa").is_empty());
        assert!(at("z").is_empty());
        assert!(at("").is_empty());
        let longest = |text: &str| sorted.longest_at(text.as_bytes()).map(|k| sorted.get(k).0);
        assert_eq!(longest("abcdx"), Some("ab"));
        assert_eq!(longest("b"), Some("b"));
        assert_eq!(longest("c"), None);
    }

    #[test]
    fn the_first_of_equal_strings_keeps_its_number() {
        let sorted = forms(&["b", "a", "b"]);
        let mut found = Vec::new();
        sorted.each_at(b"b", |k| found.push(sorted.get(k)));
        assert_eq!(found, [("b", 0)]);
    }

    #[test]
    fn an_empty_string_is_at_every_position() {
        let sorted = forms(&["", "a"]);
        let mut found = Vec::new();
        sorted.each_at(b"ab", |k| found.push(sorted.get(k).0));
        assert_eq!(found, ["", "a"]);
        found.clear();
        sorted.each_at(b"", |k| found.push(sorted.get(k).0));
        assert_eq!(found, [""]);
    }

    proptest::proptest! {
        /// Against the definition: every string the text starts with, in
        /// order of length.
        #[test]
        fn agrees_with_a_plain_search(
            list in proptest::collection::vec("[ab\u{e9}]{1,4}", 0..20),
            text in "[ab\u{e9}]{0,6}",
        ) {
            let sorted = SortedForms::new(
                list.iter().enumerate().map(|(i, f)| (f.clone(), i)).collect(),
            );
            let mut found = Vec::new();
            sorted.each_at(text.as_bytes(), |k| found.push(sorted.get(k).0.to_string()));
            let mut expected: Vec<String> = list
                .iter()
                .filter(|f| text.starts_with(f.as_str()))
                .cloned()
                .collect();
            expected.sort_by_key(String::len);
            expected.dedup();
            proptest::prop_assert_eq!(found, expected);
        }
    }
}

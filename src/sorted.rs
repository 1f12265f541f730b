//! A sorted list of strings searched like a trie: which of them a text
//! starts with.
//!
//! In: strings. Out: for a text, the strings it starts with (by their
//! position in the list given), shortest first. Building is a sort, where
//! an Aho-Corasick automaton over thousands of strings takes milliseconds;
//! searching is several times slower per byte. A run over a few kilobytes
//! of text (one small article) is cheaper this way.

/// Strings, searched in bytewise order.
#[derive(Debug, Clone)]
pub struct SortedForms {
    /// The strings, in the order given: searches name them by position.
    strings: Vec<String>,
    /// Positions in `strings`, sorted bytewise by string; of equal strings
    /// only the first given.
    order: Vec<u32>,
    /// `order[starts[b]..starts[b + 1]]` begin with byte `b`: the first
    /// byte, which every search narrows by, is one lookup.
    starts: Vec<u32>,
}

impl SortedForms {
    /// Sorts `strings` (kept in their order; see [`SortedForms::strings`]).
    pub fn new(strings: Vec<String>) -> SortedForms {
        let mut order: Vec<u32> = (0..strings.len() as u32).collect();
        // A stable sort, so among equal strings the first given is kept.
        order.sort_by(|&a, &b| strings[a as usize].cmp(&strings[b as usize]));
        order.dedup_by(|later, first| strings[*later as usize] == strings[*first as usize]);
        let mut starts = vec![0u32; 257];
        for &k in &order {
            if let Some(&b) = strings[k as usize].as_bytes().first() {
                starts[usize::from(b) + 1] += 1;
            }
        }
        // The empty string, if any, sorts first; it starts no byte's run.
        starts[0] = u32::from(
            order
                .first()
                .is_some_and(|&k| strings[k as usize].is_empty()),
        );
        for b in 1..starts.len() {
            starts[b] += starts[b - 1];
        }
        SortedForms {
            strings,
            order,
            starts,
        }
    }

    /// The strings, in the order given.
    pub fn strings(&self) -> &[String] {
        &self.strings
    }

    /// The string `i`-th in sorted order.
    fn sorted(&self, i: usize) -> &str {
        &self.strings[self.order[i] as usize]
    }

    /// Calls `found(k)` for each string `text` starts with (`k`: its
    /// position in [`SortedForms::strings`]), shortest first. The strings
    /// starting with `text[..n]` are a run of the sorted order, the one
    /// equal to it (if any) first: each byte narrows the run.
    pub fn each_at(&self, text: &[u8], mut found: impl FnMut(usize)) {
        if self.starts[0] == 1 {
            found(self.order[0] as usize);
        }
        let Some(&first) = text.first() else {
            return;
        };
        let (mut low, mut high) = (
            self.starts[usize::from(first)] as usize,
            self.starts[usize::from(first) + 1] as usize,
        );
        for n in 1..=text.len() {
            if low < high && self.sorted(low).len() == n {
                found(self.order[low] as usize);
                low += 1;
            }
            if low == high || n == text.len() {
                break;
            }
            // Every string left is longer than `n` bytes.
            let byte = text[n];
            let run = &self.order[low..high];
            let byte_at = |&k: &u32| self.strings[k as usize].as_bytes()[n];
            high = low + run.partition_point(|k| byte_at(k) <= byte);
            low += run.partition_point(|k| byte_at(k) < byte);
        }
    }

    /// The longest string `text` starts with, by its position.
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
        SortedForms::new(list.iter().map(|f| f.to_string()).collect())
    }

    /// The strings `text` starts with, as `each_at` reports them.
    fn at(sorted: &SortedForms, text: &str) -> Vec<String> {
        let mut found = Vec::new();
        sorted.each_at(text.as_bytes(), |k| found.push(sorted.strings()[k].clone()));
        found
    }

    #[test]
    fn finds_every_string_a_text_starts_with_shortest_first() {
        let sorted = forms(&["a", "ab", "abd", "b", "abcde", "\u{e9}t\u{e9}", "zz"]);
        assert_eq!(at(&sorted, "abcdx"), ["a", "ab"], "abcde does not fit");
        assert_eq!(at(&sorted, "abcde!"), ["a", "ab", "abcde"]);
        assert_eq!(at(&sorted, "abd"), ["a", "ab", "abd"]);
        assert_eq!(at(&sorted, "\u{e9}t\u{e9}s"), ["\u{e9}t\u{e9}"]);
        assert!(at(&sorted, "xa").is_empty());
        assert!(at(&sorted, "z").is_empty());
        assert!(at(&sorted, "").is_empty());
        let longest = |text: &str| {
            sorted
                .longest_at(text.as_bytes())
                .map(|k| sorted.strings()[k].as_str())
        };
        assert_eq!(longest("abcdx"), Some("ab"));
        assert_eq!(longest("b"), Some("b"));
        assert_eq!(longest("c"), None);
    }

    #[test]
    fn the_first_of_equal_strings_is_the_one_found() {
        let sorted = forms(&["b", "a", "b"]);
        let mut found = Vec::new();
        sorted.each_at(b"b", |k| found.push(k));
        assert_eq!(found, [0]);
    }

    #[test]
    fn an_empty_string_is_at_every_position() {
        let sorted = forms(&["a", ""]);
        assert_eq!(at(&sorted, "ab"), ["", "a"]);
        assert_eq!(at(&sorted, ""), [""]);
    }

    proptest::proptest! {
        /// Against the definition: every string the text starts with, in
        /// order of length.
        #[test]
        fn agrees_with_a_plain_search(
            list in proptest::collection::vec("[ab\u{e9}]{1,4}", 0..20),
            text in "[ab\u{e9}]{0,6}",
        ) {
            let sorted = SortedForms::new(list.clone());
            let found = at(&sorted, &text);
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

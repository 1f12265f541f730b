//! Segmentation: document text -> a matching view split into sentences.
//!
//! In: the document text and the pack's abbreviations. Out: a [`Segmented`]
//! document: a *view* of the text in which whitespace runs inside a paragraph
//! are one space (so hard-wrapped lines read as one line), Markdown link
//! targets and emphasis markers are dropped, and paragraphs are separated by
//! `"\n\n"`; a byte map from the view back to the text; and the sentences of
//! the view. Rules run on view sentences; spans are mapped back, so every
//! offset in the output refers to the document text.

use std::ops::Range;

/// A document prepared for matching.
#[derive(Debug, Clone)]
pub struct Segmented {
    /// The normalized view.
    pub view: String,
    /// Where view bytes come from in the text, as runs (see [`MapRun`]),
    /// sorted by view offset: most of a view is copied verbatim, so a run
    /// per change of offset costs far less than an entry per byte.
    map: Vec<MapRun>,
    /// Sentence ranges in the view, in order, never empty.
    pub sentences: Vec<Range<usize>>,
    /// For each sentence, the index of its paragraph.
    pub paragraph_of: Vec<usize>,
    /// Where the segmented part starts in the document text.
    base: usize,
}

/// View bytes from `view` on come from text bytes `text`, `text + 1`, ...
/// (`step` 1: copied), or all from byte `text` (`step` 0: a separator
/// standing for a whitespace run).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct MapRun {
    view: u32,
    text: u32,
    step: u32,
}

impl MapRun {
    /// The text byte view byte `at` (at or after this run's start) came from.
    fn source_of(&self, at: u32) -> usize {
        (self.text + (at - self.view) * self.step) as usize
    }
}

impl Segmented {
    /// Maps a view byte range to the document byte range it came from.
    pub fn to_text(&self, view: Range<usize>) -> Range<usize> {
        if view.is_empty() {
            let at = if view.start < self.view.len() {
                self.source_of(view.start)
            } else {
                self.end_of_text()
            };
            return (self.base + at)..(self.base + at);
        }
        let start = self.source_of(view.start);
        let end = self.source_of(view.end - 1) + 1;
        (self.base + start)..(self.base + end)
    }

    /// The text byte (relative to `base`) view byte `at` came from.
    fn source_of(&self, at: usize) -> usize {
        let at = at as u32;
        let run = self.map[self.map.partition_point(|r| r.view <= at) - 1];
        run.source_of(at)
    }

    /// [`Segmented::to_text`] of every sentence, in order: one walk along
    /// the map for them all, where each offset alone is a binary search
    /// (a few percent of a batch's time, for hundreds of thousands of
    /// sentences).
    pub fn sentence_spans(&self) -> Vec<Range<usize>> {
        let mut run = 0;
        // Offsets asked for only grow: sentences are in order, never empty.
        let mut source_of = |at: usize| {
            let at = at as u32;
            while self.map.get(run + 1).is_some_and(|next| next.view <= at) {
                run += 1;
            }
            self.map[run].source_of(at)
        };
        self.sentences
            .iter()
            .map(|range| {
                let start = source_of(range.start);
                let end = source_of(range.end - 1) + 1;
                (self.base + start)..(self.base + end)
            })
            .collect()
    }

    fn end_of_text(&self) -> usize {
        if self.view.is_empty() {
            0
        } else {
            self.source_of(self.view.len() - 1) + 1
        }
    }

    /// The sentence text in the view.
    pub fn sentence(&self, index: usize) -> &str {
        &self.view[self.sentences[index].clone()]
    }
}

/// Splits `text` into paragraphs and sentences. `abbreviations` are tokens
/// (with their final '.') after which a period does not end a sentence.
pub fn segment(text: &str, abbreviations: &[String]) -> Segmented {
    segment_from(text, 0, abbreviations)
}

/// Like [`segment`], but only the part of `text` from byte `base` on (the
/// body after a header); spans still map to offsets in the whole `text`.
pub fn segment_from(text: &str, base: usize, abbreviations: &[String]) -> Segmented {
    let (view, map) = build_view(&text[base..]);
    let mut sentences = Vec::new();
    let mut paragraph_of = Vec::new();
    let breaks = memchr::memmem::find_iter(view.as_bytes(), b"\n\n").chain([view.len()]);
    let mut start = 0;
    let abbreviations = Abbreviations::new(abbreviations);
    for (paragraph, end) in breaks.enumerate() {
        let block = &view[start..end];
        split_sentences(block, &abbreviations, |range| {
            let range = (start + range.start)..(start + range.end);
            if !view[range.clone()].trim().is_empty() {
                sentences.push(range);
                paragraph_of.push(paragraph);
            }
        });
        start = end + 2;
    }
    Segmented {
        view,
        map,
        sentences,
        paragraph_of,
        base,
    }
}

/// Builds the view and its byte map.
struct ViewBuilder {
    view: String,
    map: Vec<MapRun>,
}

impl ViewBuilder {
    /// Appends text bytes `from..from + piece.len()` copied as they are.
    fn copy(&mut self, piece: &str, from: usize) {
        let continues = self.map.last().is_some_and(|r| {
            r.step == 1 && (r.text + (self.view.len() as u32 - r.view)) as usize == from
        });
        if !continues {
            self.map.push(MapRun {
                view: self.view.len() as u32,
                text: from as u32,
                step: 1,
            });
        }
        self.view.push_str(piece);
    }

    /// Appends a plain run (see [`plain_run_len`]) found at text byte
    /// `from`: copied, each newline in it as the space it stands for.
    fn copy_plain(&mut self, run: &str, from: usize) {
        let start = self.view.len();
        self.copy(run, from);
        // SAFETY: an ASCII byte replaced by another ASCII byte leaves the
        // string UTF-8.
        let appended = unsafe { &mut self.view.as_bytes_mut()[start..] };
        for b in appended {
            // No branch: the loop runs many bytes a step.
            *b = if *b == b'\n' { b' ' } else { *b };
        }
    }

    /// Appends a separator standing for the whitespace run at text byte `from`.
    fn separator(&mut self, separator: &str, from: usize) {
        if separator.len() == 1 {
            self.copy(" ", from);
            return;
        }
        self.map.push(MapRun {
            view: self.view.len() as u32,
            text: from as u32,
            step: 0,
        });
        self.view.push_str(separator);
    }
}

/// Builds the view and its byte map. Plain runs (see [`plain_run_len`])
/// are copied whole; only the bytes around them are looked at one by one.
fn build_view(text: &str) -> (String, Vec<MapRun>) {
    build_view_with(text, plain_run_len)
}

/// [`build_view`], with `plain_run` saying how much of the rest of the text
/// (not at a line start) can be copied whole: the view is the one looking
/// at each character gives (a `plain_run` of 0), found sooner.
fn build_view_with(text: &str, plain_run: fn(&str) -> usize) -> (String, Vec<MapRun>) {
    let mut out = ViewBuilder {
        view: String::with_capacity(text.len()),
        map: Vec::new(),
    };
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut at_line_start = true;
    while i < bytes.len() {
        if !at_line_start && !out.view.is_empty() {
            let plain = plain_run(&text[i..]);
            if plain > 0 {
                out.copy_plain(&text[i..i + plain], i);
                i += plain;
                continue;
            }
        }
        let c = text[i..].chars().next().unwrap_or(' ');
        let len = c.len_utf8();
        if c.is_whitespace() {
            let run_start = i;
            let mut newlines = 0;
            while let Some(w) = text[i..].chars().next().filter(|w| w.is_whitespace()) {
                newlines += usize::from(w == '\n');
                i += w.len_utf8();
            }
            let next_is_item = newlines > 0 && starts_list_item(&text[i..]);
            if i < bytes.len() && !out.view.is_empty() {
                let separator = if newlines >= 2 || next_is_item {
                    "\n\n"
                } else {
                    " "
                };
                out.separator(separator, run_start);
            }
            at_line_start = newlines > 0;
            continue;
        }
        if at_line_start {
            if let Some(skip) = list_marker_len(&text[i..]) {
                i += skip;
                at_line_start = false;
                continue;
            }
        }
        at_line_start = false;
        if let Some(skip) = markup_to_drop(text, i) {
            i += skip;
            continue;
        }
        out.copy(&text[i..i + len], i);
        i += len;
    }
    (out.view, out.map)
}

/// How many bytes from the start of `rest` (not at a line start, after a
/// byte of the view) the view copies as they are, but for newlines read as
/// spaces: up to the first byte a plain run stops at (see [`stops_at`]).
/// Runs end rarely, which keeps this loop free of mispredicted branches.
fn plain_run_len(rest: &str) -> usize {
    let bytes = rest.as_bytes();
    // Stop at a byte that is not plain, or at the second of two spaces
    // (then back to the first: the whole run is the caller's).
    let mut n = first_stop(bytes);
    let previous = n.checked_sub(1).map_or(0, |last| bytes[last]);
    if n > 0 && previous == b' ' && bytes.get(n) == Some(&b' ') {
        n -= 1;
    }
    // A space that may start a longer whitespace run is left to the caller.
    let next_is_graphic = bytes.get(n).is_some_and(u8::is_ascii_graphic);
    if n > 0 && bytes[n - 1] == b' ' && !next_is_graphic {
        n -= 1;
    }
    n
}

/// Whether a plain run from the start of `bytes` stops at byte `at`, a
/// character boundary with no stop before it. The view copies a run as it
/// stands but for its newlines, so a run holds:
/// - ASCII graphic bytes other than Markdown markup, and single spaces;
/// - characters outside ASCII but those that may be whitespace, whose
///   first byte is 0xC2, 0xE1, 0xE2 or 0xE3 (of those starting with 0xE2,
///   U+200B to U+2027 go on: dashes, curly quotes, the ellipsis);
/// - lone newlines: after a byte of the run that is no space, before an
///   ASCII graphic byte that cannot start a list item. Such a newline is a
///   whitespace run of its own, whose separator is a space in its place.
///
/// Why newlines and characters outside ASCII: news text is hard-wrapped (a
/// newline every 50 bytes) and holds curly quotes (one every 150 bytes):
/// runs that stopped at each were 25 bytes long, and each stop costs
/// mispredicted branches.
fn stops_at(bytes: &[u8], at: usize) -> bool {
    let before = at.checked_sub(1).map(|i| bytes[i]);
    let after = |k: usize| bytes.get(at + k).copied();
    match bytes[at] {
        b' ' => before == Some(b' '),
        b'\n' => !(before.is_some_and(|b| b != b' ') && after(1).is_some_and(continues_line)),
        b @ 0..=0x7f => !PLAIN[usize::from(b)],
        0xe2 => !(after(1) == Some(0x80) && after(2).is_some_and(|b| (0x8b..=0xa7).contains(&b))),
        0xc2 | 0xe1 | 0xe3 => true,
        _ => false,
    }
}

/// Whether `next`, after a newline, goes on the line's paragraph: an ASCII
/// graphic byte that cannot start a list item.
fn continues_line(next: u8) -> bool {
    next.is_ascii_graphic() && !may_start_list_item(next)
}

/// Whether a line starting with byte `first` may be a list item (see
/// [`list_marker_len`]): a bullet, a digit, or the first byte of "•".
fn may_start_list_item(first: u8) -> bool {
    matches!(first, b'-' | b'*' | b'+' | b'0'..=b'9' | 0xe2)
}

/// Where [`plain_run_len`] stops: the first byte [`stops_at`] says, or
/// `bytes.len()` if none.
fn first_stop(bytes: &[u8]) -> usize {
    first_stop_with(bytes, first_stop_in_blocks)
}

/// [`first_stop`], with `blocks` scanning as far as whole blocks go (see
/// [`first_stop_in_blocks`]).
fn first_stop_with(bytes: &[u8], blocks: fn(&[u8]) -> usize) -> usize {
    if bytes.is_empty() || stops_at(bytes, 0) {
        return 0;
    }
    let from = blocks(bytes);
    (from..bytes.len())
        .find(|&at| stops_at(bytes, at))
        .unwrap_or(bytes.len())
}

/// [`first_stop`] a block of bytes at a time from byte 1 (each block reads
/// the byte before it and two after it), as far as whole blocks go: the
/// stop, or where the blocks end and the byte-by-byte scan goes on. Blocks
/// are 32 bytes where the processor has AVX2, 16 (SSE2) elsewhere: the
/// scan is a third of segmenting, and a wider block does the same work for
/// twice the bytes.
#[cfg(target_arch = "x86_64")]
fn first_stop_in_blocks(bytes: &[u8]) -> usize {
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the processor has AVX2.
        unsafe { first_stop_in_blocks_avx2(bytes) }
    } else {
        // SAFETY: SSE2 is part of every x86_64 processor.
        unsafe { first_stop_in_blocks_sse2(bytes) }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn first_stop_in_blocks_avx2(bytes: &[u8]) -> usize {
    // SAFETY: this function enables AVX2.
    unsafe { first_stop_in_lanes::<std::arch::x86_64::__m256i>(bytes) }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sse2")]
fn first_stop_in_blocks_sse2(bytes: &[u8]) -> usize {
    // SAFETY: this function enables SSE2.
    unsafe { first_stop_in_lanes::<std::arch::x86_64::__m128i>(bytes) }
}

/// [`first_stop_in_blocks`] with blocks of `V`.
///
/// # Safety
/// The processor has `V`'s instructions; inlined into a function that
/// enables them, the lanes' operations compile to those instructions.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn first_stop_in_lanes<V: lanes::Lanes>(bytes: &[u8]) -> usize {
    let mut at = 1;
    while at + V::WIDTH + 2 <= bytes.len() {
        // SAFETY: `at - 1 >= 0` and `at + 2 + WIDTH <= bytes.len()`: each
        // unaligned load reads `WIDTH` bytes inside `bytes`.
        let load = |from: usize| unsafe { V::load(bytes.as_ptr().add(from)) };
        // SAFETY: the caller's processor has `V`'s instructions.
        let stops = unsafe { stop_lanes(load(at - 1), load(at), load(at + 1), load(at + 2)) };
        // SAFETY: as above.
        let stops = unsafe { stops.mask() };
        if stops != 0 {
            return at + stops.trailing_zeros() as usize;
        }
        at += V::WIDTH;
    }
    at
}

/// [`stops_at`] for a block of bytes `v` at once, given the bytes one
/// before them (`before`), one after (`after`) and two after (`after2`):
/// 0xFF in the lanes where a run stops.
///
/// # Safety
/// The processor has `V`'s instructions.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn stop_lanes<V: lanes::Lanes>(before: V, v: V, after: V, after2: V) -> V {
    // SAFETY: the caller's processor has `V`'s instructions.
    unsafe {
        let byte = |b: u8| V::splat(b);
        let is = |x: V, b: u8| x.eq(byte(b));
        let any = |lanes: &[V]| lanes.iter().fold(byte(0), |all, &l| all.or(l));
        let between = |x: V, low: u8, high: u8| x.gt(byte(low - 1)).and(byte(high + 1).gt(x));
        // ASCII bytes are the non-negative ones, as signed bytes.
        let ascii = v.gt(byte(0xff));
        let control = ascii.and_not(v.gt(byte(0x1f)));
        let markup = any(&[
            is(v, b'*'),
            is(v, b'_'),
            is(v, b'['),
            is(v, b']'),
            is(v, b'!'),
            is(v, 0x7f),
        ]);
        let space_before = is(before, b' ');
        let second_space = is(v, b' ').and(space_before);
        // A newline the line goes on after (see `continues_line`).
        let graphic_after = between(after, 0x21, 0x7e);
        let item_after = any(&[
            is(after, b'-'),
            is(after, b'*'),
            is(after, b'+'),
            between(after, b'0', b'9'),
        ]);
        let goes_on = graphic_after.and_not(item_after);
        let lone_newline = is(v, b'\n').and(goes_on).and_not(space_before);
        // U+200B to U+2027: 0xE2 0x80, then 0x8B to 0xA7.
        let past_start = after2.sub(byte(0x8b));
        let in_range = past_start.min_unsigned(byte(0xa7 - 0x8b)).eq(past_start);
        let dash_or_quote = is(after, 0x80).and(in_range);
        let may_be_space = any(&[
            is(v, 0xc2),
            is(v, 0xe1),
            is(v, 0xe3),
            is(v, 0xe2).and_not(dash_or_quote),
        ]);
        any(&[
            control.and_not(lone_newline),
            markup,
            second_space,
            may_be_space,
        ])
    }
}

/// Byte lanes of SSE2 (16) and AVX2 (32): what [`stop_lanes`] asks of
/// them, so that one body serves both widths.
#[cfg(target_arch = "x86_64")]
mod lanes {
    use std::arch::x86_64::*;

    /// A vector of byte lanes.
    ///
    /// # Safety
    /// Every method needs the processor to have the type's instructions,
    /// and is inlined into a function that enables them.
    pub(super) trait Lanes: Copy {
        const WIDTH: usize;
        /// `WIDTH` bytes from `at`, unaligned.
        unsafe fn load(at: *const u8) -> Self;
        /// `b` in every lane.
        unsafe fn splat(b: u8) -> Self;
        /// 0xFF where the lanes are equal.
        unsafe fn eq(self, other: Self) -> Self;
        /// 0xFF where `self` is greater, as signed bytes.
        unsafe fn gt(self, other: Self) -> Self;
        unsafe fn and(self, other: Self) -> Self;
        unsafe fn or(self, other: Self) -> Self;
        /// `self & !other`.
        unsafe fn and_not(self, other: Self) -> Self;
        unsafe fn min_unsigned(self, other: Self) -> Self;
        /// Lane by lane, wrapping.
        unsafe fn sub(self, other: Self) -> Self;
        /// Bit `i` set where lane `i` has its top bit set.
        unsafe fn mask(self) -> u32;
    }

    /// Implements [`Lanes`] for `$t` with its intrinsics.
    macro_rules! lanes {
        ($t:ty, $width:expr, $load:ident, $set1:ident, $eq:ident, $gt:ident,
         $and:ident, $or:ident, $andnot:ident, $min:ident, $sub:ident, $movemask:ident) => {
            impl Lanes for $t {
                const WIDTH: usize = $width;
                #[inline(always)]
                unsafe fn load(at: *const u8) -> Self {
                    unsafe { $load(at.cast()) }
                }
                #[inline(always)]
                unsafe fn splat(b: u8) -> Self {
                    unsafe { $set1(b as i8) }
                }
                #[inline(always)]
                unsafe fn eq(self, other: Self) -> Self {
                    unsafe { $eq(self, other) }
                }
                #[inline(always)]
                unsafe fn gt(self, other: Self) -> Self {
                    unsafe { $gt(self, other) }
                }
                #[inline(always)]
                unsafe fn and(self, other: Self) -> Self {
                    unsafe { $and(self, other) }
                }
                #[inline(always)]
                unsafe fn or(self, other: Self) -> Self {
                    unsafe { $or(self, other) }
                }
                #[inline(always)]
                unsafe fn and_not(self, other: Self) -> Self {
                    unsafe { $andnot(other, self) }
                }
                #[inline(always)]
                unsafe fn min_unsigned(self, other: Self) -> Self {
                    unsafe { $min(self, other) }
                }
                #[inline(always)]
                unsafe fn sub(self, other: Self) -> Self {
                    unsafe { $sub(self, other) }
                }
                #[inline(always)]
                unsafe fn mask(self) -> u32 {
                    unsafe { $movemask(self) as u32 }
                }
            }
        };
    }

    lanes!(
        __m128i,
        16,
        _mm_loadu_si128,
        _mm_set1_epi8,
        _mm_cmpeq_epi8,
        _mm_cmpgt_epi8,
        _mm_and_si128,
        _mm_or_si128,
        _mm_andnot_si128,
        _mm_min_epu8,
        _mm_sub_epi8,
        _mm_movemask_epi8
    );
    lanes!(
        __m256i,
        32,
        _mm256_loadu_si256,
        _mm256_set1_epi8,
        _mm256_cmpeq_epi8,
        _mm256_cmpgt_epi8,
        _mm256_and_si256,
        _mm256_or_si256,
        _mm256_andnot_si256,
        _mm256_min_epu8,
        _mm256_sub_epi8,
        _mm256_movemask_epi8
    );
}

#[cfg(not(target_arch = "x86_64"))]
fn first_stop_in_blocks(bytes: &[u8]) -> usize {
    bytes.len().min(1)
}

/// ASCII bytes that are copied to the view as they are wherever they stand
/// (other than at a line start): graphic characters other than Markdown
/// markup, and the space (see [`plain_run_len`] for when).
static PLAIN: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let byte = b as u8;
        table[b] = byte == b' '
            || (byte.is_ascii_graphic() && !matches!(byte, b'*' | b'_' | b'[' | b']' | b'!'));
        b += 1;
    }
    table
};

/// A list item starts a line with a bullet or "1." and a space.
fn starts_list_item(rest: &str) -> bool {
    list_marker_len(rest).is_some()
}

/// Length of a leading list marker ("- ", "• ", "* ", "12. ") including its spaces.
fn list_marker_len(rest: &str) -> Option<usize> {
    // Most lines start with a letter: one byte tells (a line start is
    // looked at twice, by the whitespace run before it and by itself).
    if !may_start_list_item(*rest.as_bytes().first()?) {
        return None;
    }
    let marker_end = if rest.starts_with(['-', '*', '+']) {
        1
    } else if rest.starts_with('\u{2022}') {
        '\u{2022}'.len_utf8()
    } else {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 || digits > 3 || !rest[digits..].starts_with(['.', ')']) {
            return None;
        }
        digits + 1
    };
    let spaces = rest[marker_end..]
        .bytes()
        .take_while(|b| *b == b' ' || *b == b'\t')
        .count();
    (spaces > 0).then_some(marker_end + spaces)
}

/// Markdown to leave out of the view at byte `i`: the `](target)` of a link,
/// the `!` and `[` that open links and images, and `**`/`__` emphasis.
fn markup_to_drop(text: &str, i: usize) -> Option<usize> {
    let rest = &text[i..];
    if rest.starts_with("**") || rest.starts_with("__") {
        return Some(2);
    }
    if rest.starts_with("](") {
        return link_target_len(rest);
    }
    if rest.starts_with("![") {
        return Some(2);
    }
    if rest.starts_with('[') && has_link_target(rest) {
        return Some(1);
    }
    None
}

/// Length of `](target)` with balanced parentheses inside the target
/// (URLs such as `...(D-District%202)...`); `None` if it never closes on its
/// line, or a `]` comes first (so every byte is scanned at most once: a line
/// of `](` repeated would otherwise be scanned once per `](`, quadratic).
///
/// Bytes, not characters, found by `memchr`: every byte it looks for is
/// ASCII, and news text has a link every 450 bytes: decoding each
/// character of their targets was a fifth of segmenting's instructions.
fn link_target_len(rest: &str) -> Option<usize> {
    let bytes = rest.as_bytes();
    let mut depth = 0usize;
    let mut from = 1;
    loop {
        // The next `)`, newline or `]`; each `(` before it opens a level.
        let at = from + memchr::memchr3(b')', b'\n', b']', &bytes[from..])?;
        depth += memchr::memchr_iter(b'(', &bytes[from..at]).count();
        match bytes[at] {
            b')' if depth == 1 => return Some(at + 1),
            b')' => depth = depth.saturating_sub(1),
            _ => return None,
        }
        from = at + 1;
    }
}

/// Whether the `[` starting `rest` opens a link: a `](` closes it within
/// 400 bytes, with no `[` between.
fn has_link_target(rest: &str) -> bool {
    let window = &rest.as_bytes()[..rest.len().min(400)];
    memchr::memmem::find(window, b"](")
        .is_some_and(|close| memchr::memchr(b'[', &window[1..close]).is_none())
}

/// Calls `found` with each sentence range inside one paragraph of the
/// view, in order (no list per paragraph: news text has one every 460
/// bytes).
fn split_sentences(
    block: &str,
    abbreviations: &Abbreviations,
    mut found: impl FnMut(Range<usize>),
) {
    let mut start = 0;
    let bytes = block.as_bytes();
    // The ends are ASCII, so a byte scan finds them at character boundaries.
    for i in memchr::memchr3_iter(b'.', b'!', b'?', bytes) {
        let c = char::from(bytes[i]);
        // Closing quotes and brackets belong to the sentence they end.
        let mut end = i + 1;
        while let Some(q) = block[end..].chars().next().filter(|q| is_closer(*q)) {
            end += q.len_utf8();
        }
        if end >= bytes.len() || bytes[end] != b' ' {
            continue;
        }
        let next = block[end + 1..].chars().next();
        if !next.is_some_and(|n| n.is_uppercase() || n.is_ascii_digit() || is_opener(n)) {
            continue;
        }
        if c == '.' && is_abbreviation(&block[start..=i], abbreviations) {
            continue;
        }
        found(start..end);
        start = end + 1;
    }
    if start < block.len() {
        found(start..block.len());
    }
}

fn is_closer(c: char) -> bool {
    matches!(c, '"' | '\'' | ')' | ']' | '\u{201D}' | '\u{2019}')
}

fn is_opener(c: char) -> bool {
    matches!(c, '"' | '\'' | '(' | '[' | '\u{201C}' | '\u{2018}')
}

/// True when the token ending at this '.' is a known abbreviation or an initial ("J.").
fn is_abbreviation(sentence_so_far: &str, abbreviations: &Abbreviations) -> bool {
    let token = last_token(sentence_so_far);
    let mut letters = token.chars();
    let is_initial = letters.next().is_some_and(char::is_uppercase) && letters.as_str() == ".";
    is_initial || abbreviations.contains(token)
}

/// What follows the last whitespace, '(', '"' or '\u{201C}' in `text`.
/// Bytes are read back from the end while they are ASCII (a token is
/// mostly a word and its period): splitting by characters from the end
/// was a fifth of splitting sentences.
fn last_token(text: &str) -> &str {
    let is_separator = |c: char| c.is_whitespace() || c == '(' || c == '"' || c == '\u{201C}';
    match text
        .bytes()
        .rposition(|b| !b.is_ascii() || is_separator(char::from(b)))
    {
        Some(at) if !text.as_bytes()[at].is_ascii() => {
            text.rsplit(is_separator).next().unwrap_or("")
        }
        Some(at) => &text[at + 1..],
        None => text,
    }
}

/// Abbreviations looked up by binary search when they come sorted (a
/// pack sorts its own), one by one otherwise: a sentence end is looked up
/// for every period before a capital, hundreds of thousands in a batch.
/// Most of those are ordinary words ("him.", "2019."): the first byte and
/// the length of the token rule them out first (the binary search alone
/// was 2% of a 64 MB run).
struct Abbreviations<'a> {
    list: &'a [String],
    sorted: bool,
    /// First byte -> the lengths (bit `n` for `n` bytes, the last bit for
    /// 31 and more) of the abbreviations starting with it.
    lengths_by_first: [u32; 256],
}

impl<'a> Abbreviations<'a> {
    fn new(list: &'a [String]) -> Abbreviations<'a> {
        let mut lengths_by_first = [0u32; 256];
        for abbreviation in list {
            if let Some(&first) = abbreviation.as_bytes().first() {
                lengths_by_first[usize::from(first)] |= Self::length_bit(abbreviation);
            }
        }
        Abbreviations {
            list,
            sorted: list.is_sorted(),
            lengths_by_first,
        }
    }

    fn length_bit(token: &str) -> u32 {
        1 << token.len().min(31)
    }

    fn contains(&self, token: &str) -> bool {
        let Some(&first) = token.as_bytes().first() else {
            return false;
        };
        if self.lengths_by_first[usize::from(first)] & Self::length_bit(token) == 0 {
            return false;
        }
        if self.sorted {
            self.list
                .binary_search_by(|a| a.as_str().cmp(token))
                .is_ok()
        } else {
            self.list.iter().any(|a| a == token)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn abbreviations() -> Vec<String> {
        ["U.S.", "Mr.", "Jan.", "No."]
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    fn sentences(text: &str) -> Vec<String> {
        let seg = segment(text, &abbreviations());
        (0..seg.sentences.len())
            .map(|i| seg.sentence(i).to_string())
            .collect()
    }

    #[test]
    fn abbreviations_and_initials_do_not_end_sentences() {
        let got = sentences(
            "He came to the U.S. in Jan. 2019. Mr. Ruiz, No. 4, met J. Doe. Then he left!",
        );
        assert_eq!(
            got,
            [
                "He came to the U.S. in Jan. 2019.",
                "Mr. Ruiz, No. 4, met J. Doe.",
                "Then he left!"
            ]
        );
    }

    #[test]
    fn sorted_abbreviations_are_found_as_unsorted_ones_are() {
        let text = "He came to the U.S. in Jan. 2019. Mr. Ruiz, No. 4, met Dr. Doe. Then he left.";
        let mut sorted = abbreviations();
        sorted.sort();
        assert_ne!(sorted, abbreviations(), "the test's own list is unsorted");
        assert_eq!(
            segment(text, &sorted).sentences,
            segment(text, &abbreviations()).sentences
        );
        let known = Abbreviations::new(&sorted);
        assert!(known.sorted);
        for token in &sorted {
            assert!(known.contains(token), "{token}");
        }
        assert!(!known.contains("Dr.") && !known.contains("U.S") && !known.contains(""));
    }

    #[test]
    fn the_first_byte_and_length_filter_lets_every_abbreviation_through() {
        let long = format!("{}.", "Abbr".repeat(10));
        let list: Vec<String> = ["Mr.", "Mrs.", "\u{c9}d.", long.as_str(), "v."]
            .iter()
            .map(|s| s.to_string())
            .collect();
        for sorted in [false, true] {
            let mut list = list.clone();
            if sorted {
                list.sort();
            }
            let known = Abbreviations::new(&list);
            for token in &list {
                assert!(known.contains(token), "{token}");
            }
            // Same first byte and length as one, or as a long one.
            for other in [
                "Ms.",
                "Mrx.",
                "\u{c9}e.",
                &format!("{}.", "Abbx".repeat(10)),
                "w.",
            ] {
                assert!(!known.contains(other), "{other}");
            }
        }
    }

    #[test]
    fn hard_wrapped_lines_join_and_blank_lines_split() {
        let got = sentences("A 36-year-old\nNicaraguan national was held\n\nNext paragraph");
        assert_eq!(
            got,
            [
                "A 36-year-old Nicaraguan national was held",
                "Next paragraph"
            ]
        );
    }

    #[test]
    fn list_items_are_paragraphs_and_markers_dropped() {
        let seg = segment(
            "Intro:\n- first item\n• Age: 54\n12. third",
            &abbreviations(),
        );
        let got: Vec<&str> = (0..seg.sentences.len()).map(|i| seg.sentence(i)).collect();
        assert_eq!(got, ["Intro:", "first item", "Age: 54", "third"]);
        assert_eq!(seg.paragraph_of, [0, 1, 2, 3]);
    }

    #[test]
    fn markdown_links_keep_visible_text_and_map_back() {
        let text = "was [released](https://x.org/a_(b)_c) **despite** it";
        let seg = segment(text, &[]);
        assert_eq!(seg.view, "was released despite it");
        let at = seg.view.find("despite").unwrap();
        let span = seg.to_text(at..at + "despite".len());
        assert_eq!(&text[span], "despite");
    }

    #[test]
    fn spans_map_back_across_collapsed_whitespace_and_unicode() {
        let text = "Jos\u{e9}\n  P\u{e9}rez, 30,";
        let seg = segment(text, &[]);
        assert_eq!(seg.view, "Jos\u{e9} P\u{e9}rez, 30,");
        let span = seg.to_text(0..seg.view.find(',').unwrap());
        assert_eq!(&text[span], "Jos\u{e9}\n  P\u{e9}rez");
    }

    #[test]
    fn sentence_spans_are_each_sentence_mapped_alone() {
        let mut texts = vec![
            "  A  b\tc \u{a0}d.\n e **f** g! X [l](u) \u{e9}. \u{2003}Z.\n\n- it  \n".to_string(),
        ];
        for entry in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/seeds")).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "txt") {
                texts.push(std::fs::read_to_string(path).unwrap());
            }
        }
        for text in &texts {
            for base in [0, text.len() / 3] {
                let base = floor_boundary(text, base);
                let seg = segment_from(text, base, &abbreviations());
                assert!(seg.sentences.len() > 1 || text.len() < 100);
                let alone: Vec<_> = seg
                    .sentences
                    .iter()
                    .map(|r| seg.to_text(r.clone()))
                    .collect();
                assert_eq!(seg.sentence_spans(), alone);
            }
        }
    }

    #[test]
    fn every_view_byte_maps_to_the_byte_it_copies_or_to_whitespace() {
        let text = "  A  b\tc \u{a0}d \n e **f** g !x [l](u) \u{e9} \u{2003}z.\n\n- it  \n";
        let seg = segment(text, &[]);
        assert_eq!(seg.view, "A b c d e f g !x l \u{e9} z.\n\nit");
        for (i, b) in seg.view.bytes().enumerate() {
            let span = seg.to_text(i..i + 1);
            let source = &text.as_bytes()[span.start];
            if b == b' ' || b == b'\n' {
                assert!(text[span.start..].starts_with(char::is_whitespace), "{i}");
            } else if b.is_ascii() {
                assert_eq!(*source, b, "view byte {i}");
            }
        }
        let at = seg.view.find('\u{e9}').unwrap();
        assert_eq!(&text[seg.to_text(at..at + 2)], "\u{e9}");
        let after_last = text.find("it  ").unwrap() + 2;
        assert_eq!(
            seg.to_text(seg.view.len()..seg.view.len()),
            after_last..after_last
        );
    }

    #[test]
    fn quotes_close_sentences() {
        let got = sentences("He said \u{201C}no.\u{201D} Then \u{201C}Yes.\u{201D} End");
        assert_eq!(
            got,
            [
                "He said \u{201C}no.\u{201D}",
                "Then \u{201C}Yes.\u{201D}",
                "End"
            ]
        );
    }

    fn floor_boundary(text: &str, mut i: usize) -> usize {
        while !text.is_char_boundary(i) {
            i -= 1;
        }
        i
    }

    #[test]
    fn a_link_closes_within_400_bytes_of_its_bracket() {
        for pad in 390..402 {
            let text = format!("[{}](u)", "a".repeat(pad));
            // `]` at 1 + pad and `(` after it, both before byte 400.
            let inside = pad + 2 < 400;
            assert_eq!(has_link_target(&text), inside, "{pad}");
            assert_eq!(has_link_target_by_char(&text), inside, "{pad}");
        }
    }

    /// [`link_target_len`] as it was written before it read bytes.
    fn link_target_len_by_char(rest: &str) -> Option<usize> {
        let mut depth = 0usize;
        for (i, c) in rest.char_indices().skip(1) {
            match c {
                '(' => depth += 1,
                ')' if depth == 1 => return Some(i + 1),
                ')' => depth = depth.saturating_sub(1),
                '\n' | ']' => return None,
                _ => {}
            }
        }
        None
    }

    /// [`has_link_target`] as it was written before it read bytes.
    fn has_link_target_by_char(rest: &str) -> bool {
        let window = &rest[..floor_boundary(rest, rest.len().min(400))];
        window
            .find("](")
            .is_some_and(|close| !window[1..close].contains('['))
    }

    /// Scans whole blocks for [`first_stop_with`].
    type BlockScan = fn(&[u8]) -> usize;

    /// Every block scan this processor runs, by name: a test of one checks
    /// them all, whichever [`first_stop`] picks.
    fn block_scans() -> Vec<(&'static str, BlockScan)> {
        #[cfg(target_arch = "x86_64")]
        {
            let mut scans: Vec<(&'static str, BlockScan)> =
                // SAFETY: SSE2 is part of every x86_64 processor.
                vec![("sse2", |b| unsafe { first_stop_in_blocks_sse2(b) })];
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: the processor has AVX2.
                scans.push(("avx2", |b| unsafe { first_stop_in_blocks_avx2(b) }));
            } else {
                eprintln!("NOTE: this processor has no AVX2: its 32-byte block scan goes untested");
            }
            scans
        }
        #[cfg(not(target_arch = "x86_64"))]
        vec![("bytes", first_stop_in_blocks)]
    }

    /// [`first_stop`] one byte at a time.
    fn first_stop_byte_by_byte(bytes: &[u8]) -> usize {
        (0..bytes.len())
            .find(|&at| stops_at(bytes, at))
            .unwrap_or(bytes.len())
    }

    #[test]
    fn blocks_stop_at_each_offset_at_what_stops_a_plain_run() {
        // Each piece, and where in it a run stops.
        let stopping: [(&[u8], usize); 14] = [
            (b"  ", 1),
            (b"*", 0),
            (b"_", 0),
            (b"[", 0),
            (b"]", 0),
            (b"!", 0),
            (b"\x7f", 0),
            (b"\t", 0),
            (b"\n\n", 0),
            (b"\n-", 0),
            (b"\n7", 0),
            (b" \n", 1),
            ("\u{a0}".as_bytes(), 0),
            ("\u{2003}".as_bytes(), 0),
        ];
        let going_on = [
            "\n", "\u{201c}", "\u{2019}", "\u{2014}", "\u{2026}", "\u{e9}",
        ];
        for at in 0..40 {
            let with = |piece: &[u8]| {
                let mut text = b"ab.cd".repeat(10);
                text.splice(at..at + piece.len(), piece.iter().copied());
                text
            };
            for (scan, blocks) in block_scans() {
                for (piece, stop) in stopping {
                    let found = first_stop_with(&with(piece), blocks);
                    assert_eq!(found, at + stop, "{scan}: {piece:?} at {at}");
                }
                for piece in going_on {
                    let text = with(piece.as_bytes());
                    // A newline that starts the run stops it.
                    let expected = if at == 0 && piece == "\n" {
                        0
                    } else {
                        text.len()
                    };
                    let found = first_stop_with(&text, blocks);
                    assert_eq!(found, expected, "{scan}: {piece:?} at {at}");
                }
            }
        }
    }

    proptest::proptest! {
        /// Blocks of 16 and 32 find the stop the byte loop finds: markup,
        /// control and non-ASCII bytes, DEL, and the second of two spaces,
        /// also where the two spaces straddle two blocks.
        #[test]
        fn blocks_stop_where_the_byte_loop_stops(
            bytes in proptest::collection::vec(
                proptest::sample::select(
                    b"aZ9 .-+*_[]!\x7f\n\t\xc2\xa0\xe1\xe2\xe3\x80\x8a\x8b\x99\xa7\xa8".to_vec(),
                ),
                0..120,
            ),
            plain_before in 0usize..80,
        ) {
            let mut text = b"word ".repeat(16)[..plain_before].to_vec();
            text.extend(&bytes);
            for (scan, blocks) in block_scans() {
                proptest::prop_assert_eq!(
                    first_stop_with(&text, blocks),
                    first_stop_byte_by_byte(&text),
                    "{}",
                    scan
                );
            }
        }

        /// Plain runs (newlines and characters outside ASCII among them)
        /// build the view and map that looking at each character builds:
        /// whitespace runs of every kind, list items, markup, quotes and
        /// dashes, at line starts and in the middle of lines.
        #[test]
        fn plain_runs_build_the_view_looking_at_each_character_builds(
            pieces in proptest::collection::vec(
                proptest::sample::select(vec![
                    "a", "Zed", "9", " ", "  ", "\n", "\n\n", "\t", "\r\n", ".", "*", "**",
                    "_", "[", "]", "(", ")", "](", "!", "-", "+", "1.", "12) ", "\u{a0}",
                    "\u{85}", "\u{a9}", "\u{1680}", "\u{2003}", "\u{200b}", "\u{2027}",
                    "\u{2028}", "\u{202f}", "\u{205f}", "\u{3000}", "\u{201c}", "\u{2019}",
                    "\u{2014}", "\u{2022}", "\u{2122}", "\u{e9}", "\u{1f600}", "\x7f", "\x0b",
                ]),
                0..60,
            ),
        ) {
            let text = pieces.concat();
            proptest::prop_assert_eq!(build_view(&text), build_view_with(&text, |_| 0));
        }

        /// The last token read back byte by byte is the one splitting by
        /// characters gives, whatever stands before it.
        #[test]
        fn the_last_token_is_the_one_splitting_by_characters_gives(
            pieces in proptest::collection::vec(
                proptest::sample::select(vec![
                    "Mr.", "U.S.", "a", "J.", " ", "(", "\"", "\u{201c}", "\u{201d}", "\u{a0}",
                    "\u{2003}", "\t", "\n", "\u{e9}", "x\u{e9}.", "\u{1f600}", "",
                ]),
                0..12,
            ),
        ) {
            let text = pieces.concat();
            let by_chars = text
                .rsplit(|c: char| c.is_whitespace() || c == '(' || c == '"' || c == '\u{201C}')
                .next()
                .unwrap_or("");
            proptest::prop_assert_eq!(last_token(&text), by_chars);
        }

        /// Links are found as looking at each character finds them.
        #[test]
        fn links_are_found_as_character_by_character(
            pieces in proptest::collection::vec(
                proptest::sample::select(vec![
                    "a", " ", "(", ")", "[", "]", "](", "\n", "\u{e9}", "\u{201c}", "x.com/",
                    "a-long-path-segment-of-a-url-in-a-link-target/",
                ]),
                0..80,
            ),
        ) {
            let text = pieces.concat();
            for (at, _) in text.char_indices() {
                let rest = &text[at..];
                if rest.starts_with("](") {
                    proptest::prop_assert_eq!(link_target_len(rest), link_target_len_by_char(rest));
                }
                if rest.starts_with('[') {
                    proptest::prop_assert_eq!(has_link_target(rest), has_link_target_by_char(rest));
                }
            }
        }
    }
}

//! The command line's memory allocator: mimalloc, configured before its
//! first allocation.
//!
//! Why not the system's: compiling a rule pack is mostly small, short-lived
//! allocations (syntax trees cloned, spliced and dropped), and glibc's
//! malloc spent 37% of a small article's instructions on them. mimalloc
//! cuts that run by a quarter (276 M -> 211 M instructions) and a 4 MB batch
//! by 8%.
//!
//! Why version 2 and this option: by default mimalloc held 73 MB (v2) to
//! 95 MB (v3) at its peak on a 64 MB corpus, against glibc's 58 MB. An
//! arena committed up front is never decommitted (mimalloc decommits only
//! arenas whose memory started uncommitted), so every segment a batch ever
//! freed stayed resident. Off: 60.7 MB on 64 MB, 62.7 MB on a 1 GB stream.
//!
//! Freed pages wait mimalloc's default 10 ms before they go back to the OS,
//! at every scale. A batch's next group of articles takes back the pages
//! the last one freed: returned at once, they came back as a page fault
//! each (64 MB: 38,000 faults against 14,000, and 3-5% more time; a 1 GB
//! stream: 323,000 against 14,000). Waiting costs little memory because
//! groups are small (see `batch::MAX_GROUP_BYTES`): a megabyte, where the
//! 64 MB peak is 55.5 MiB (with the larger rule automata of an older pack,
//! the pages waiting took the same groups to 65 MB). A small
//! article runs as fast with a 1 ms wait as with 10 ms (and 20% slower
//! with none: compiling its rules frees and takes back the same pages over
//! and over).
//!
//! The arena is made by the first allocation, which the Rust runtime makes
//! before `main`, so the option is set by the allocator itself, on its
//! first call.

use std::alloc::{GlobalAlloc, Layout};
use std::ffi::c_long;
use std::sync::atomic::{AtomicBool, Ordering};

use libmimalloc_sys::{self as sys, mi_option_t};
use mimalloc::MiMalloc;

/// `mi_option_arena_eager_commit`. libmimalloc-sys names only some options;
/// mimalloc 2's `mi_option_e` lists `eager_commit`, `arena_eager_commit`,
/// `purge_decommits`, `allow_large_os_pages`, so it sits two before the last.
const ARENA_EAGER_COMMIT: mi_option_t = sys::mi_option_large_os_pages - 2;

fn set(option: mi_option_t, value: c_long) {
    // SAFETY: mimalloc documents `mi_option_set` as callable at any time; it
    // stores the value for the next read.
    unsafe { sys::mi_option_set(option, value) };
}

/// mimalloc, configured on first use.
pub struct Allocator;

static CONFIGURED: AtomicBool = AtomicBool::new(false);

/// Turns eager arena commits off, once. The first allocation is made
/// before `main` starts a thread, so no two threads can race here.
#[inline]
fn configure() {
    if !CONFIGURED.load(Ordering::Relaxed) {
        CONFIGURED.store(true, Ordering::Relaxed);
        set(ARENA_EAGER_COMMIT, 0);
    }
}

// SAFETY: every call is passed on unchanged to `MiMalloc`, whose contract
// is `GlobalAlloc`'s.
unsafe impl GlobalAlloc for Allocator {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        configure();
        MiMalloc.alloc(layout)
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        configure();
        MiMalloc.alloc_zeroed(layout)
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        MiMalloc.dealloc(ptr, layout)
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        MiMalloc.realloc(ptr, layout, new_size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(option: mi_option_t) -> c_long {
        // SAFETY: reading an option is always allowed.
        unsafe { sys::mi_option_get(option) }
    }

    /// `mi_option_purge_delay`, listed right after `eager_commit_delay`.
    const PURGE_DELAY: mi_option_t = sys::mi_option_eager_commit_delay + 1;

    #[test]
    fn arenas_commit_lazily_from_the_first_allocation_and_freed_pages_wait_10_ms() {
        // The test harness has allocated long before this runs.
        let _ = vec![0u8; 64];
        // mimalloc's defaults are 2 and 10: only the first is changed.
        assert_eq!(get(ARENA_EAGER_COMMIT), 0);
        assert_eq!(get(PURGE_DELAY), 10);
    }

    #[test]
    fn the_option_numbers_are_those_of_mimalloc_2() {
        // The neighbours libmimalloc-sys does name, at their places in
        // mimalloc 2's list: a shifted list would move them.
        assert_eq!(sys::mi_option_large_os_pages, 6);
        assert_eq!(sys::mi_option_eager_commit_delay, 14);
        assert_eq!(sys::mi_option_use_numa_nodes, PURGE_DELAY + 1);
    }
}

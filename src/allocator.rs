//! The command line's memory allocator: mimalloc, configured before its
//! first allocation.
//!
//! Why not the system's: compiling a rule pack is mostly small, short-lived
//! allocations (syntax trees cloned, spliced and dropped), and glibc's
//! malloc spent 37% of a small article's instructions on them. mimalloc
//! cuts that run by a quarter (276 M -> 211 M instructions) and a 4 MB batch
//! by 8%.
//!
//! Why version 2 and these options: by default mimalloc held 73 MB (v2) to
//! 95 MB (v3) at its peak on a 64 MB corpus, against glibc's 58 MB.
//! - An arena committed up front is never decommitted (mimalloc decommits
//!   only arenas whose memory started uncommitted), so every segment a batch
//!   ever freed stayed resident. Off: 64 MB.
//! - Freed pages wait 10 ms before they go back to the OS. Returning them at
//!   once brings the peak near glibc's (60 MB; 63.6 MB on a 1 GB stream),
//!   at no cost to a batch, but a small article spends 20% more time:
//!   compiling its rules frees and takes back the same pages over and over.
//!   So they wait 1 ms until the input is known to be large (see [`suit`]).
//!
//! The arena is made by the first allocation, which the Rust runtime makes
//! before `main`, so the options are set by the allocator itself, on its
//! first call.

use std::alloc::{GlobalAlloc, Layout};
use std::ffi::c_long;
use std::sync::atomic::{AtomicBool, Ordering};

use docket::Scale;
use libmimalloc_sys::{self as sys, mi_option_t};
use mimalloc::MiMalloc;

/// `mi_option_arena_eager_commit`. libmimalloc-sys names only some options;
/// mimalloc 2's `mi_option_e` lists `eager_commit`, `arena_eager_commit`,
/// `purge_decommits`, `allow_large_os_pages`, so it sits two before the last.
const ARENA_EAGER_COMMIT: mi_option_t = sys::mi_option_large_os_pages - 2;
/// `mi_option_purge_delay`, listed right after `eager_commit_delay`.
const PURGE_DELAY: mi_option_t = sys::mi_option_eager_commit_delay + 1;

/// How many milliseconds freed pages wait for reuse at each scale.
fn purge_delay(scale: Scale) -> c_long {
    match scale {
        Scale::Small => 1,
        Scale::Large => 0,
    }
}

/// Sets the allocator for input of `scale`: a batch returns freed pages to
/// the OS at once, few articles keep them a millisecond for reuse.
pub fn suit(scale: Scale) {
    set(PURGE_DELAY, purge_delay(scale));
}

fn set(option: mi_option_t, value: c_long) {
    // SAFETY: mimalloc documents `mi_option_set` as callable at any time; it
    // stores the value for the next read.
    unsafe { sys::mi_option_set(option, value) };
}

/// mimalloc, configured on first use.
pub struct Allocator;

static CONFIGURED: AtomicBool = AtomicBool::new(false);

/// Turns eager arena commits off and sets the purge delay for small input,
/// once. The first allocation is made before `main` starts a thread, so no
/// two threads can race here.
#[inline]
fn configure() {
    if !CONFIGURED.load(Ordering::Relaxed) {
        CONFIGURED.store(true, Ordering::Relaxed);
        set(ARENA_EAGER_COMMIT, 0);
        suit(Scale::Small);
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

    /// One test, as the options are global to the process.
    #[test]
    fn the_settings_are_in_force_from_the_first_allocation_and_follow_the_scale() {
        // The test harness has allocated long before this runs.
        let _ = vec![0u8; 64];
        // mimalloc's defaults are 2 and 10.
        assert_eq!(get(ARENA_EAGER_COMMIT), 0);
        assert_eq!(get(PURGE_DELAY), 1);
        suit(Scale::Large);
        assert_eq!(get(PURGE_DELAY), 0);
        suit(Scale::Small);
        assert_eq!(get(PURGE_DELAY), 1);
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

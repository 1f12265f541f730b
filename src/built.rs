//! Values built once and shared by every thread, which a thread can go on
//! without while another builds them.
//!
//! In: a function that builds the value. Out: the value; or, from
//! [`BuiltOnce::get_unless_building`], nothing yet while another thread is
//! building it. What the engine builds on the way (the prefilter's fast
//! automaton, a rule's lead and split) speeds up a search without changing
//! what it finds: a thread that meets one being built searches the slower
//! way meanwhile instead of waiting. Rules and lexicon scanners are needed,
//! but threads building them ahead of use ([`crate::Pack::prepare`]) each
//! take one nobody has begun. With `--jobs 2` a thread used to stand idle
//! for the whole of each build the other had begun.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

/// A value built by the first thread to ask, then shared.
#[derive(Debug)]
pub struct BuiltOnce<T> {
    value: OnceLock<T>,
    /// Some thread has begun building it.
    claimed: AtomicBool,
}

impl<T> Default for BuiltOnce<T> {
    fn default() -> Self {
        BuiltOnce {
            value: OnceLock::new(),
            claimed: AtomicBool::new(false),
        }
    }
}

impl<T> BuiltOnce<T> {
    /// The value, built by this thread with `build` if no thread has begun
    /// building it; `None` while another thread is building it (or a build
    /// panicked: then the caller goes on without it for good).
    pub fn get_unless_building(&self, build: impl FnOnce() -> T) -> Option<&T> {
        if let Some(value) = self.value.get() {
            return Some(value);
        }
        if self.claimed.swap(true, Ordering::Acquire) {
            return self.value.get();
        }
        Some(self.value.get_or_init(build))
    }

    /// The value, built by this thread with `build` if no thread has begun
    /// building it, else waiting for the thread that has.
    pub fn get_or_build(&self, build: impl FnOnce() -> T) -> &T {
        if let Some(value) = self.value.get() {
            return value;
        }
        self.claimed.store(true, Ordering::Release);
        self.value.get_or_init(build)
    }

    /// The value, if it was built.
    pub fn get(&self) -> Option<&T> {
        self.value.get()
    }

    /// True while some thread is building it (or after a build panicked).
    pub fn is_building(&self) -> bool {
        self.claimed.load(Ordering::Acquire) && self.value.get().is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Barrier;

    #[test]
    fn the_first_caller_builds_and_later_ones_share_it() {
        let once = BuiltOnce::default();
        assert_eq!(once.get(), None);
        assert_eq!(once.get_unless_building(|| 1), Some(&1));
        assert_eq!(once.get_unless_building(|| 2), Some(&1));
        assert_eq!(once.get(), Some(&1));
    }

    /// While one thread builds the value, another goes on without it or,
    /// when it needs it, waits for that build instead of making its own.
    #[test]
    fn a_build_under_way_is_passed_over_or_waited_for() {
        let once = BuiltOnce::default();
        let (started, asked) = (Barrier::new(2), Barrier::new(2));
        std::thread::scope(|scope| {
            let builder = scope.spawn(|| {
                once.get_unless_building(|| {
                    started.wait();
                    // Held until the other thread has asked, then most
                    // likely still building when it asks again.
                    asked.wait();
                    std::thread::sleep(std::time::Duration::from_millis(20));
                    7
                })
                .copied()
            });
            started.wait();
            assert!(once.is_building());
            assert_eq!(once.get_unless_building(|| 8), None);
            asked.wait();
            assert_eq!(*once.get_or_build(|| 9), 7);
            assert!(!once.is_building());
            assert_eq!(builder.join().unwrap(), Some(7));
        });
    }

    #[test]
    fn a_build_that_panicked_leaves_the_value_unbuilt() {
        let once: BuiltOnce<u8> = BuiltOnce::default();
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            once.get_unless_building(|| panic!("no value"));
        }));
        assert!(panicked.is_err());
        assert_eq!(once.get_unless_building(|| 1), None);
    }
}

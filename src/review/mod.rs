//! Review tools for rule authors, each a data-returning library function that
//! a thin command renders: [`lint`] (`docket check`), [`trace`] and
//! [`marked`] (`docket explain`), [`diff`] (`docket diff`) and [`html`]
//! (`docket report`). [`inputs`] reads articles for the commands that
//! extract from many inputs. [`profile`] (`docket check --profile`) says
//! what each rule costs.

pub mod diff;
pub mod html;
pub mod inputs;
pub mod lint;
pub mod marked;
pub mod profile;
pub mod trace;

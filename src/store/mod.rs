//! Files credwise reads and writes: versioned snapshot files, the tenant cache, migration journals (append-only,
//! with their records and locks), private key files (0600, never overwritten) and the user's
//! directories; `files` holds how every one of them is written (atomically, exclusively,
//! 0600/0700, stale temporary files cleaned, advisory locks). May import `domain`, serde and
//! the filesystem; never the terminal or HTTP.

pub mod cache;
pub mod files;
pub mod journal;
pub mod json_split;
pub mod key_files;
pub mod log_file;
pub mod paths;
pub mod recent;
pub mod snapshot_file;

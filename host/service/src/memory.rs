//! The process's own memory: how much is resident (for the start-up log), and giving the
//! heap freed while loading back to the kernel, so that it does not count as idle memory.

/// Resident memory of this process in bytes (Linux: `/proc/self/statm`), if known.
pub fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

/// Returns free heap pages to the kernel. Loading reads every component and its compiled
/// code into buffers that are freed once the code is mapped; glibc's allocator would keep
/// those pages resident for later allocations that an idle service never makes.
pub fn release_freed_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        unsafe extern "C" {
            fn malloc_trim(pad: usize) -> std::ffi::c_int;
        }
        // SAFETY: glibc's `malloc_trim` only gives free pages of the heap back to the
        // kernel; it is thread-safe and touches no memory in use.
        unsafe {
            malloc_trim(0);
        }
    }
}

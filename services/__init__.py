"""The shell: one function per use case, a Session first, no commit inside."""

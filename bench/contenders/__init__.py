"""The contenders: each runs as its own process so its wall time and RSS are its own."""

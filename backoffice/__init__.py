"""The back office's rules, free of any web framework: who sees which centre, users,
passwords and sign-in, the audit log, the call lists and search, spot checks,
evaluations, undercover calls, the voicemail inbox and the half-year usage report.

The web console (console/), the admin commands (cli/) and the benchmarks (bench/)
all call these; none of them is imported from here.
"""

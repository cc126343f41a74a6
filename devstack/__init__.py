"""The dev stack: what runs the service on one machine for development, tests and the bench.

The Asterisk 22 Debian sid chroot and its mounts, the private PostgreSQL cluster, AMI
test calls and reading back what the server logged for one. Not shipped in the wheel;
production commands never import it. Its commands: `python -m devstack --help`.
"""

"""Automation: turns due timers and queued changes into the actions the playbook's rules name,
by calling the same services every other interface calls."""

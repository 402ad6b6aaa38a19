"""In-app notifications for one user (a rule fired, a task is due, an approval waits), and the
email that tells them: at once, in a daily digest, or never, as each user prefers."""

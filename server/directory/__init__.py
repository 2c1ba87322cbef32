"""The emergency contact directory (issue 16): agencies' contacts and the border crossings they serve."""

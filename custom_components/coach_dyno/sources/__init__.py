"""Where activities come from: the Strava API and its push webhook, exports and watch files."""

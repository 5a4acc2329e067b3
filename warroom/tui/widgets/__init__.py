"""The panes and bars of the war-room screen."""

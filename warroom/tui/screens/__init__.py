"""The war-room screen and the modal screens over it (help, picker, declare, details)."""

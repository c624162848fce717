"""The session roles facilities hold: an inmate signed in at a kiosk, and one who must first
change a one-time PIN (the routes name them without loading the kiosk sign-in)."""
INMATE_ROLE = "inmate"
PIN_CHANGE_ROLE = "inmate_pin_change"

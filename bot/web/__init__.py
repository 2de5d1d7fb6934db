"""Web app: health now; widget, staff console and HSDS API later."""

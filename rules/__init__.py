"""The pure room: business rules over plain data. Imports the standard library only."""

"""Everything that brings data in: the guarded file reader, area, table, point and overlay
readers, and the fetchers (SCB PxWebApi and WFS, Kolada, the police). Imports only
:mod:`indicators`."""

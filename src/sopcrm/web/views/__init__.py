"""Views of the web UI, one module per family of pages. Views are thin: parse the request, call a
selector or a service, render. Every view but login requires a signed-in user."""

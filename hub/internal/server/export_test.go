package server

// Audited tells the tests whether a request to a route is audited.
var Audited = audited

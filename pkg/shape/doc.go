// Package shape holds the test that keeps the tree's shape (see
// docs/architecture.md, "The shape of the code"): no type with more than
// 40 methods of its own, no non-test Go file over 500 lines, and no
// function over 100 lines except the migrations, whose frozen schemas are
// written out whole.
package shape

// Package slug turns post titles into slugs.
//
// A slug is the URL path segment that identifies a blog post, derived from
// its title: "Hello, World!" becomes "hello-world", so the post is served at
// /posts/hello-world. A slug contains only lower-case ASCII letters, digits
// and single hyphens between words; it never starts or ends with a hyphen
// and is at most MaxLen bytes long.
//
// Make builds a slug from a title, and Unique de-duplicates slugs of posts
// that share a title by appending "-2", "-3", and so on.
package slug

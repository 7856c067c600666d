package slug_test

import (
	"fmt"

	"example.com/blog/slug"
)

func ExampleMake() {
	fmt.Println(slug.Make("Hello, World!"))
	fmt.Println(slug.Make("  Go 1.22 is out  "))
	fmt.Println(slug.Make("Crème brûlée à la française"))
	fmt.Println(slug.Make("Straße & Co."))
	// Output:
	// hello-world
	// go-1-22-is-out
	// creme-brulee-a-la-francaise
	// strasse-co
}

func ExampleUnique() {
	taken := map[string]bool{"hello-world": true, "hello-world-2": true}
	fmt.Println(slug.Unique("hello-world", func(s string) bool { return taken[s] }))
	// Output: hello-world-3
}

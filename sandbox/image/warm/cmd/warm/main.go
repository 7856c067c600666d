// Command warm links a binary so the linker's inputs (runtime) are cached too.
package main

import (
	"fmt"

	"coop/warm"
)

func main() { fmt.Println(warm.Reverse("olleh")) }

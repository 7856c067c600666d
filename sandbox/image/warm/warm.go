// Package warm imports the std packages Go projects commonly use, so the image
// build compiles them (and their vet facts) into the seed build cache.
package warm

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

var (
	_ = bufio.NewReader
	_ = bytes.NewBuffer
	_ = context.Background
	_ = json.Marshal
	_ = errors.New
	_ = io.EOF
	_ = log.Printf
	_ = math.Abs
	_ = http.NewRequest
	_ = os.Getenv
	_ = filepath.Join
	_ = regexp.MustCompile
	_ = sort.Strings
	_ = strconv.Itoa
	_ = strings.ToUpper
	_ = time.Now
	_ = utf8.RuneLen
)

// Mu exists so sync is used.
var Mu sync.Mutex

// Reverse reverses a string.
func Reverse(s string) string {
	r := []rune(s)
	slices.Reverse(r)
	return fmt.Sprint(string(r))
}

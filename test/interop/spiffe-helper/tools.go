//go:build tools

// Pins spiffe-helper for the interop suite; install.sh builds its command from this module.
package tools

import _ "github.com/spiffe/spiffe-helper/cmd/spiffe-helper"

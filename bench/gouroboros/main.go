// Benchmark harness only (not part of poolfleet itself): measures how many
// header validations per second github.com/blinklabs-io/gouroboros does with
// its own verifier, ledger.VerifyBlock, on the two real mainnet headers in
// test/fixtures/headers/real-headers.json that come with an epoch nonce.
//
// VerifyBlock is given a block holding only the header, with body-hash,
// transaction and stake-pool checks switched off and no protocol parameters
// (so no block-size limits), which leaves exactly its header checks: the VRF
// proof against the epoch nonce and slot, and the KES signature on the header
// body. It does not check the opcert cold signature, the leader threshold or
// opcert counters. One goroutine, round-robin, until the duration elapses.
//
// Usage: gouroboros-bench <real-headers.json> [seconds=3]
// Prints one line of JSON to stdout.
package main

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/blinklabs-io/gouroboros/ledger"
	"github.com/blinklabs-io/gouroboros/ledger/babbage"
	"github.com/blinklabs-io/gouroboros/ledger/common"
	"github.com/blinklabs-io/gouroboros/ledger/conway"
)

const (
	gouroborosModule  = "github.com/blinklabs-io/gouroboros"
	slotsPerKESPeriod = 129600 // mainnet
)

// Header checks only: the fixtures have no block bodies or ledger state.
var verifyConfig = common.VerifyConfig{
	SkipBodyHashValidation:    true,
	SkipTransactionValidation: true,
	SkipStakePoolValidation:   true,
	SkipBlockLimitsValidation: true,
}

type workItem struct {
	id         string
	block      ledger.Block
	epochNonce string // hex, as VerifyBlock takes it
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "gouroboros-bench: "+format+"\n", args...)
	os.Exit(1)
}

// load returns the fixture headers that carry header_cbor_hex and epoch_nonce,
// each wrapped in an empty block of its era, as VerifyBlock expects.
func load(path string) []workItem {
	raw, err := os.ReadFile(path)
	if err != nil {
		fail("%v", err)
	}
	var fixture struct {
		Headers []struct {
			ID            string `json:"id"`
			HeaderCborHex string `json:"header_cbor_hex"`
			EpochNonce    string `json:"epoch_nonce"`
		} `json:"headers"`
	}
	if err := json.Unmarshal(raw, &fixture); err != nil {
		fail("%s: %v", path, err)
	}
	var work []workItem
	for _, h := range fixture.Headers {
		if h.HeaderCborHex == "" || h.EpochNonce == "" {
			continue
		}
		headerCbor, err := hex.DecodeString(h.HeaderCborHex)
		if err != nil {
			fail("%s: header_cbor_hex: %v", h.ID, err)
		}
		blockType, err := ledger.DetermineBlockType(headerCbor)
		if err != nil {
			fail("%s: %v", h.ID, err)
		}
		header, err := ledger.NewBlockHeaderFromCbor(blockType, headerCbor)
		if err != nil {
			fail("%s: decoding header: %v", h.ID, err)
		}
		var block ledger.Block
		switch hdr := header.(type) {
		case *babbage.BabbageBlockHeader:
			block = &babbage.BabbageBlock{BlockHeader: hdr}
		case *conway.ConwayBlockHeader:
			block = &conway.ConwayBlock{BlockHeader: hdr}
		default:
			fail("%s: unexpected header type %T (want Babbage or Conway)", h.ID, header)
		}
		work = append(work, workItem{id: h.ID, block: block, epochNonce: h.EpochNonce})
	}
	if len(work) == 0 {
		fail("%s: no header has both header_cbor_hex and epoch_nonce", path)
	}
	return work
}

func verify(w workItem) error {
	ok, _, _, _, err := ledger.VerifyBlock(w.block, w.epochNonce, slotsPerKESPeriod, verifyConfig)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("VerifyBlock returned false")
	}
	return nil
}

func gouroborosVersion() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range info.Deps {
			if dep.Path == gouroborosModule {
				if dep.Replace != nil {
					return dep.Replace.Version
				}
				return dep.Version
			}
		}
	}
	return "unknown"
}

func main() {
	if len(os.Args) < 2 || len(os.Args) > 3 {
		fail("usage: gouroboros-bench <real-headers.json> [seconds=3]")
	}
	seconds := 3.0
	if len(os.Args) == 3 {
		s, err := strconv.ParseFloat(os.Args[2], 64)
		if err != nil || s <= 0 {
			fail("seconds must be a positive number, got %q", os.Args[2])
		}
		seconds = s
	}

	work := load(os.Args[1])
	for _, w := range work {
		if err := verify(w); err != nil {
			fail("%s does not verify: %v", w.id, err)
		}
	}

	// Check the clock every few validations; each one takes well over a
	// microsecond, so this stays accurate while keeping time.Now off the hot path.
	start := time.Now()
	deadline := start.Add(time.Duration(seconds * float64(time.Second)))
	n := 0
	for {
		if n%16 == 0 && !time.Now().Before(deadline) {
			break
		}
		if err := verify(work[n%len(work)]); err != nil {
			fail("%s failed during the run: %v", work[n%len(work)].id, err)
		}
		n++
	}
	elapsed := time.Since(start).Seconds()

	out, _ := json.Marshal(struct {
		ValidationsPerSecond int64  `json:"validationsPerSecond"`
		Headers              int    `json:"headers"`
		Checks               string `json:"checks"`
		GouroborosVersion    string `json:"gouroborosVersion"`
	}{
		ValidationsPerSecond: int64(float64(n)/elapsed + 0.5),
		Headers:              len(work),
		Checks:               "VRF proof (slot+epoch nonce input, output matches) + KES sum6 signature on header body; no opcert signature, leader threshold or counters",
		GouroborosVersion:    gouroborosVersion(),
	})
	fmt.Println(string(out))
}

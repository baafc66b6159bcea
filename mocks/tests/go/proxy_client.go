// A Go client shaped like the registry's storage driver: the default
// transport, HTTPS_PROXY/HTTP_PROXY from the environment, trust from
// SSL_CERT_FILE. It reports what it saw as JSON for front_door_go.rs.
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"os"
)

type result struct {
	PutStatus   int    `json:"put_status"`
	PutEcho     string `json:"put_echo"`
	PutSha256   string `json:"put_sha256"`
	GetStatus   int    `json:"get_status"`
	GetLength   int64  `json:"get_length"`
	GetSha256   string `json:"get_sha256"`
	GetProto    string `json:"get_proto"`
	ReusedConns int    `json:"reused_conns"`
	ImdsStatus  int    `json:"imds_status"`
	ImdsBody    string `json:"imds_body"`
	HeadLength  int64  `json:"head_length"`
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}

func main() {
	blob := os.Args[1]
	bigURL := os.Args[2]
	imds := os.Args[3]
	var out result
	reused := 0
	trace := &httptrace.ClientTrace{GotConn: func(info httptrace.GotConnInfo) {
		if info.Reused {
			reused++
		}
	}}
	do := func(req *http.Request) *http.Response {
		req = req.WithContext(httptrace.WithClientTrace(req.Context(), trace))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			fail(err)
		}
		return resp
	}

	payload := make([]byte, 5<<20)
	for i := range payload {
		payload[i] = byte(i % 251)
	}
	sum := sha256.Sum256(payload)
	out.PutSha256 = hex.EncodeToString(sum[:])
	req, _ := http.NewRequest(http.MethodPut, blob, bytes.NewReader(payload))
	req.Header.Set("Authorization", "SharedKey acct:xyz")
	resp := do(req)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	out.PutStatus, out.PutEcho = resp.StatusCode, string(body)

	req, _ = http.NewRequest(http.MethodGet, bigURL, nil)
	resp = do(req)
	hash := sha256.New()
	n, err := io.Copy(hash, resp.Body)
	if err != nil {
		fail(err)
	}
	resp.Body.Close()
	out.GetStatus, out.GetLength, out.GetProto = resp.StatusCode, n, resp.Proto
	out.GetSha256 = hex.EncodeToString(hash.Sum(nil))

	req, _ = http.NewRequest(http.MethodHead, blob, nil)
	resp = do(req)
	resp.Body.Close()
	out.HeadLength = resp.ContentLength

	req, _ = http.NewRequest(http.MethodGet, imds, nil)
	req.Header.Set("Metadata", "true")
	resp = do(req)
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	out.ImdsStatus, out.ImdsBody = resp.StatusCode, string(body)

	out.ReusedConns = reused
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		fail(err)
	}
}

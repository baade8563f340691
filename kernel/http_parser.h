/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * HTTP/1.x stream framing, shared by the BPF program and the userspace tests.
 *
 * The BPF program sees TCP segments (cgroup_skb), not read()/write() buffers, so
 * message starts can be anywhere in a segment and lines can straddle segments.
 * The parser therefore frames the byte stream like an HTTP implementation does
 * (start line, headers, Content-Length or chunked body) and only looks for a
 * request or status line where a message can start. That is what makes
 * pipelining exact and keeps "HTTP/1.1 200" inside a body from counting.
 *
 * Costs are kept per line, not per byte: a window of the segment is loaded once,
 * line ends are found 8 bytes at a time, header names are compared as words and
 * bodies are skipped arithmetically without being loaded.
 *
 * The includer provides, before including this header:
 *   HTTP_LOAD(feed, offset, dst, len) -> 0 on success   (copy payload bytes)
 *   HTTP_ON_EXCHANGE(feed, method, status, latency_ns, has_latency, url_template)
 *   HTTP_ON_NOTE(feed, note)                            (enum http_note)
 *   HTTP_TEMPLATES(feed) -> non-zero to template request targets
 *   HTTP_ON_TEMPLATE(feed, tmpl)  a request line's template, unless it is the
 *                                 one of the connection's request line before
 *   HTTP_LOOP(nr, callback, ctx)                        (bpf_loop or a for loop)
 * and the __u8/__u16/__u32/__u64/__s32/__s64 types.
 *
 * The code is the common subset of C and C++ so the tests compile this exact file.
 */
#ifndef HTTP_STATISTICS_HTTP_PARSER_H
#define HTTP_STATISTICS_HTTP_PARSER_H

#ifndef HTTP_INLINE
#define HTTP_INLINE static inline __attribute__((always_inline))
#endif
/* Leaf functions with loops. In BPF they are global functions, which the
 * verifier checks once on their own instead of at every call site; their
 * pointer arguments may be NULL as far as it knows, hence the checks.
 * Calls are not free (a return costs tens of cycles under return-stack
 * mitigations), so loop-free helpers are inlined and the common path makes
 * a handful of calls per message. */
#if defined(__bpf__)
#define HTTP_LEAF __attribute__((noinline))
/* Hide a value from clang so it keeps a mask that the verifier needs. */
#define HTTP_OPAQUE(x) asm volatile("" : "+r"(x))
#else
#define HTTP_LEAF static inline
#define HTTP_OPAQUE(x) (void)0
#endif

#define HTTP_WINDOW 256      /* payload bytes loaded at once (power of two) */
#define HTTP_LINE_MAX 64     /* prefix of a line kept when it straddles windows */
#define HTTP_LINE_AT 320     /* where a straddling line is reassembled in the buffer */
#define HTTP_TAIL 16         /* end of a start line kept when it straddles windows */
#define HTTP_TAIL_AT 400     /* where that end is put back together in the buffer */
#define HTTP_BUF_SIZE 512    /* window + reassembly area + room for 8-byte overreads */
#define HTTP_PIPELINE 32     /* unanswered requests remembered per connection */
#define HTTP_MAX_STEPS 8192  /* lines/bodies handled per segment */
#define HTTP_SCAN_LINES 8    /* header lines the fast path takes per step */
#define HTTP_SCAN_WORDS 16   /* longest line it takes, in 8-byte words */

#include "url_template.h"

enum http_method {
	HTTP_M_OTHER = 0, /* unknown: the request was not seen */
	HTTP_M_GET,
	HTTP_M_HEAD,
	HTTP_M_POST,
	HTTP_M_PUT,
	HTTP_M_DELETE,
	HTTP_M_CONNECT,
	HTTP_M_OPTIONS,
	HTTP_M_TRACE,
	HTTP_M_PATCH,
	HTTP_M_COUNT,
	/* A response's request was not seen (a receive-side gap, or pushed out
	 * of the pipeline): counted as HTTP_M_OTHER, but its framing cannot
	 * lean on the method (a HEAD response has no body). Send side only. */
	HTTP_M_UNSEEN = 0xff,
};

enum http_state {
	HS_LINE = 0,	/* inside a line; line_kind says which */
	HS_BODY,	/* skipping `remaining` body bytes */
	HS_CHUNK_DATA,	/* skipping `remaining` chunk bytes (data + CRLF) */
	HS_PEEK,	/* a response to an unseen request: body or next status line? */
	HS_UNTIL_CLOSE, /* response body delimited by the connection's end */
	HS_TUNNEL,	/* after 101 or a CONNECT 2xx: no more HTTP here */
	HS_NOT_HTTP,	/* the bytes at a message start were not HTTP/1.x */
	HS_LOST,	/* bytes were missed (sequence gap, budget): framing lost */
};

enum http_line_kind {
	LK_START = 0,    /* request line or status line */
	LK_HEADER,
	LK_CHUNK_SIZE,
	LK_TRAILER,
};

enum http_flags {
	HF_SEQ = 1,          /* next_seq is valid */
	HF_CHUNKED = 2,      /* Transfer-Encoding ends in chunked */
	HF_LENGTH = 4,       /* Content-Length seen */
	HF_LINE_KEPT = 8,    /* the current line's prefix is in line[] */
	HF_FED = 16,         /* some payload of this direction was parsed */
	HF_SKIPPED = 32,     /* its first bytes were never seen (TCP Fast Open's SYN data) */
	HF_STICKY = HF_SEQ | HF_FED | HF_SKIPPED, /* kept across messages */
};

/* Why the parser stopped counting or skipped something; counted by cause. */
enum http_note {
	HN_NOT_HTTP = 0,       /* a message start that is not HTTP/1.x */
	HN_SEQ_GAP,	       /* bytes missed: framing lost for the connection */
	HN_STEP_BUDGET,	       /* segment needed more than HTTP_MAX_STEPS steps */
	HN_PIPELINE_OVERFLOW,  /* its request was pushed out by HTTP_PIPELINE later ones */
	HN_UNMATCHED_RESPONSE, /* a final response with no request before it */
	HN_BAD_HEADER,	       /* unusable Content-Length / chunk size / encoding */
	HN_REQUEST_UNSEEN,     /* counted a response whose request was not seen */
	HN_FRAMING_GUESSED,    /* a body or not, for such a response: by the bytes after it */
	HN_COUNT,
};

/* One direction of a connection. */
struct http_stream {
	__u64 remaining;     /* body or chunk bytes left; Content-Length while in headers */
	__u64 line_start_ns; /* when the current start line's first byte was seen */
	__u32 next_seq;      /* TCP sequence number of the next new byte */
	__u32 line_total;    /* bytes of the current line seen so far (straddling lines) */
	__u16 status;        /* status of the response being framed */
	__u8 state;          /* enum http_state */
	__u8 line_kind;      /* enum http_line_kind */
	__u8 flags;          /* enum http_flags */
	__u8 method;         /* method of the request being framed (or answered) */
	__u8 line_len;       /* bytes kept in line[] */
	__u8 pad;
	__u8 line[HTTP_LINE_MAX + 8]; /* and room for a word-wide store at its end */
	/* The last bytes of a start line seen so far: a request line longer than
	 * line[] with a method we have no name for is judged by its end. */
	__u8 tail[HTTP_TAIL];
};

/* A request handed from the receive side to the send side. `tag` is the
 * request's number plus one (0: the slot was never used). A later request
 * takes the slot whether or not this one was answered, so a slot's tag only
 * grows. Times are kept in units of 1024 ns in 32 bits: exact enough for
 * latency buckets, wrapping only after 73 minutes. */
struct http_pending {
	__u32 tag;
	__u32 start;
	__u64 what; /* method in the low 8 bits, the target's template id above */
};

/*
 * Per-connection state: requests are queued by the receive side and paired,
 * in order, with final responses on the send side. The two sides usually
 * run on different CPUs (the receive side in softirq, on whichever CPU took
 * the packet; the send side in the server's thread), and a cache line that
 * moves between CPUs costs more than parsing a message. So each side writes
 * only its own part, and the send side reads only the slot of the request it
 * answers: one line crosses over per exchange. The gap keeps the send side's
 * part off the last slots' line whatever the allocation's alignment.
 */
struct http_conn {
	/* receive side */
	struct http_stream req;
	__u32 requests;  /* request lines seen */
	__u32 pad0;
	__u64 last_template; /* template id of the latest request line */
	/* written by the receive side, read by the send side */
	struct http_pending pending[HTTP_PIPELINE];
	__u8 gap[64];
	/* send side */
	__u32 responses; /* final responses seen */
	__u32 pad1;
	struct http_stream resp;
};

/* Progress of http_url_template over a line, kept in memory on purpose: the
 * verifier does not track values in memory, so every round of its loops
 * looks alike to it (the trick of http_scan_headers). */
struct http_tmpl_work {
	__u64 dashes;	  /* positions of '-' in the segment (UUIDs) */
	__u64 hash;	  /* of the text so far: exact values would multiply states */
	__u32 n;	  /* decoded characters of the segment */
	__u32 digits;	  /* of which digits */
	__u32 nonhex;	  /* of which not hex digits */
	__u32 nonhexdash; /* of which neither hex digits nor '-' */
	__u32 seg;	  /* segments opened so far */
	__u32 ids;	  /* bit k: segment k is an identifier */
	__u32 slash;	  /* where the open segment's '/' is */
	__u32 phase;	  /* enum http_tmpl_phase */
	__u32 esc;	  /* hex digits of a %-escape still to come (0: none) */
	__u32 escv;	  /* its value so far; 0x100 and up: not hex */
	__u32 end;	  /* where the kept path ends */
	__u32 from;	  /* where it starts */
	__u32 flags;	  /* enum http_tmpl_flags */
	__u32 lim;	  /* bytes of the line that are read */
	__u32 cut;	  /* the line goes on past them */
	__u32 start;	  /* where the scan of the target starts */
	__u32 pad;
};

/* Scratch space: the loaded window and a reassembled line. */
struct http_buf {
	__u8 b[HTTP_BUF_SIZE];
	__u32 line_at;  /* where the current complete line starts in b[] */
	__u32 line_len; /* its length */
	struct http_url_tmpl tmpl;
	struct http_tmpl_work tw;
};

#ifdef __cplusplus /* the userspace tests compile this header as C++ */
static_assert
#else
_Static_assert
#endif
	(HTTP_TMPL_PATH == HTTP_LINE_MAX, "a template's path holds the line's kept prefix");

#ifdef __cplusplus
static_assert
#else
_Static_assert
#endif
	(HTTP_LINE_AT + HTTP_LINE_MAX + 8 <= HTTP_TAIL_AT &&
		 HTTP_TAIL_AT + HTTP_TAIL + 8 <= HTTP_BUF_SIZE,
	 "the reassembled line, its end and word-wide reads fit the buffer");

/* One segment being fed; lives on the stack of the caller of HTTP_LOOP. */
struct http_feed {
	void *src;               /* the skb in BPF, a buffer in tests */
	struct http_conn *conn;
	struct http_stream *st;
	struct http_buf *buf;
	void *user;              /* includer's context for the callbacks */
	__u64 now_ns;
	__u32 pos;               /* next byte to parse (offset in src) */
	__u32 end;               /* end of the segment's payload */
	__u32 win_base;          /* offset in src of buf->b[0] */
	__u32 win_len;           /* valid bytes in the window */
	__u8 response;           /* 1: send side (status lines), 0: receive side */
	__u8 pad[7];
};

/* ---- small helpers ------------------------------------------------------- */

HTTP_INLINE __u64 http_word(const __u8 *p)
{
	/* Eight bytes, little-endian, at any alignment. */
#if defined(__bpf__)
	/* One load: x86-64 and arm64 JITs allow unaligned map-value access and
	 * the verifier only refuses it under BPF_F_STRICT_ALIGNMENT. */
	return *(const __u64 *)p;
#else
	__u64 w;

	__builtin_memcpy(&w, p, sizeof(w));
	return w;
#endif
}

HTTP_INLINE void http_put_word(__u8 *p, __u64 w)
{
#if defined(__bpf__)
	*(__u64 *)p = w;
#else
	__builtin_memcpy(p, &w, sizeof(w));
#endif
}

/* Offset (from off) of the first '\n' in the window's [off, off + avail),
 * or avail when there is none. off + avail <= HTTP_WINDOW. */
HTTP_LEAF __u32 http_find_newline(const struct http_buf *buf, __u32 off, __u32 avail)
{
	const __u64 ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
	__u32 i;

	if (!buf)
		return avail;

	for (i = 0; i < HTTP_WINDOW / 8; i++) {
		__u32 o = i * 8;
		__u32 at = (off + o) & (HTTP_WINDOW - 1);
		__u64 x, hit;

		if (o >= avail)
			break;
		x = http_word(&buf->b[at]) ^ (ones * '\n');
		/* Lowest set high bit marks the first '\n' byte exactly. */
		hit = (x - ones) & ~x & highs;
		if (hit) {
			__u64 lowest = hit & (~hit + 1);
			__u32 idx = (__u32)(((lowest >> 7) * 0x0001020304050607ULL) >> 56);
			return o + idx < avail ? o + idx : avail;
		}
	}
	return avail;
}

HTTP_INLINE int http_is_digit(__u8 c)
{
	return c >= '0' && c <= '9';
}

/* The readable prefix of a line at buf->b[at], or NULL. */
HTTP_INLINE const __u8 *http_line_ptr(const struct http_buf *buf, __u32 at)
{
	if (!buf || at > HTTP_LINE_AT)
		return 0;
	HTTP_OPAQUE(buf); /* no pointer arithmetic before the NULL check */
	return &buf->b[at];
}

/* Request line prefix: METHOD SP <not SP>. Methods are case-sensitive.
 * Not inlined although it has no loop: its many branches, each with a
 * method of its own, doubled the time the verifier took over the receive
 * program (about 100 ms more to start); one call per request costs less. */
HTTP_LEAF int http_parse_method(const struct http_buf *buf, __u32 at, __u32 len)
{
	const __u8 *l = http_line_ptr(buf, at);
	__u8 m = HTTP_M_OTHER;
	__u32 n = 0;

	if (!l || len < 3)
		return HTTP_M_OTHER;
	switch (l[0]) {
	case 'G':
		if (l[1] == 'E' && l[2] == 'T')
			m = HTTP_M_GET, n = 3;
		break;
	case 'H':
		if (l[1] == 'E' && l[2] == 'A' && l[3] == 'D')
			m = HTTP_M_HEAD, n = 4;
		break;
	case 'P':
		if (l[1] == 'O' && l[2] == 'S' && l[3] == 'T')
			m = HTTP_M_POST, n = 4;
		else if (l[1] == 'U' && l[2] == 'T')
			m = HTTP_M_PUT, n = 3;
		else if (l[1] == 'A' && l[2] == 'T' && l[3] == 'C' && l[4] == 'H')
			m = HTTP_M_PATCH, n = 5;
		break;
	case 'D':
		if ((http_word(l) & 0x00ffffffffffffffULL) == 0x204554454c4544ULL) /* "DELETE " */
			m = HTTP_M_DELETE, n = 6;
		break;
	case 'C':
		if (http_word(l) == 0x205443454e4e4f43ULL) /* "CONNECT " */
			m = HTTP_M_CONNECT, n = 7;
		break;
	case 'O':
		if (http_word(l) == 0x20534e4f4954504fULL) /* "OPTIONS " */
			m = HTTP_M_OPTIONS, n = 7;
		break;
	case 'T':
		if (l[1] == 'R' && l[2] == 'A' && l[3] == 'C' && l[4] == 'E')
			m = HTTP_M_TRACE, n = 5;
		break;
	}
	if (m == HTTP_M_OTHER || len < n + 2 || l[n] != ' ' || l[n + 1] == ' ' || l[n + 1] == '\r')
		return HTTP_M_OTHER;
	return m;
}

/* Does a line whose last byte is at b[base + ((end - 1) & mask)] end in
 * " HTTP/1.0" or " HTTP/1.1" (then maybe a CR)? Inlined with constant base
 * and mask, so every index stays inside its area for the verifier. */
HTTP_INLINE int http_ends_http1(const struct http_buf *buf, __u32 base, __u32 mask, __u32 end)
{
	__u8 last;

	if (buf->b[base + ((end - 1) & mask)] == '\r')
		end--; /* lines longer than HTTP_LINE_MAX still carry their CR */
	/* " HTTP/1." then '0' or '1' */
	if (http_word(&buf->b[base + ((end - 9) & mask)]) != 0x2e312f5054544820ULL)
		return 0;
	last = buf->b[base + ((end - 1) & mask)];
	return last == '0' || last == '1';
}

/*
 * A request line with a method we have no name for (WebDAV's PROPFIND, a
 * custom one): counted as "_OTHER" when it reads TOKEN SP target SP HTTP/1.x,
 * so that HTTP/2's "PRI * HTTP/2.0" and random upper-case text stay out. Its
 * start is in the window or the kept prefix, its end in the window, the
 * reassembled line, or (past HTTP_LINE_MAX) the kept tail.
 */
HTTP_LEAF int http_is_other_request(const struct http_buf *buf, __u32 at, __u32 len)
{
	const __u8 *l = http_line_ptr(buf, at);
	__u32 i, tok = 0;

	if (!l || len < 16)
		return 0;
	if (at != HTTP_LINE_AT && (at + len > HTTP_WINDOW || len > HTTP_WINDOW))
		return 0;
	for (i = 0; i < 20; i++) {
		__u8 c = l[i];

		if (c == ' ')
			break;
		if ((c < 'A' || c > 'Z') && c != '-' && c != '_')
			return 0;
		tok++;
	}
	if (tok == 0 || tok >= 20 || l[tok + 1] == ' ')
		return 0;
	if (at == HTTP_LINE_AT && len > HTTP_LINE_MAX) /* its end is at HTTP_TAIL_AT */
		return http_ends_http1(buf, HTTP_TAIL_AT, HTTP_TAIL - 1, HTTP_TAIL);
	if (at == HTTP_LINE_AT)
		return http_ends_http1(buf, HTTP_LINE_AT, HTTP_LINE_MAX - 1, len);
	return http_ends_http1(buf, 0, HTTP_WINDOW - 1, at + len);
}

/* "HTTP/1.0 " or "HTTP/1.1 " then a code 100-599, then SP or the line's end.
 * Returns the code or 0. */
HTTP_INLINE int http_parse_status(const struct http_buf *buf, __u32 at, __u32 len)
{
	const __u8 *l = http_line_ptr(buf, at);

	if (!l || len < 12)
		return 0;
	if ((http_word(l) & 0x00ffffffffffffffULL) != 0x2e312f50545448ULL) /* "HTTP/1." */
		return 0;
	if ((l[7] != '0' && l[7] != '1') || l[8] != ' ')
		return 0;
	if (l[9] < '1' || l[9] > '5' || !http_is_digit(l[10]) || !http_is_digit(l[11]))
		return 0;
	if (len > 12 && l[12] != ' ')
		return 0;
	return (l[9] - '0') * 100 + (l[10] - '0') * 10 + (l[11] - '0');
}

/* Case-insensitive compare of a header name, using that every byte of
 * "content-length:" and "transfer-encoding:" has bit 0x20 set. Setting it also
 * turns CR (0x0d) into '-' and 0x1a into ':', so those are compared exactly. */
#define HTTP_LOWER 0x2020202020202020ULL

enum http_header { HH_OTHER = 0, HH_CONTENT_LENGTH, HH_TRANSFER_ENCODING };

HTTP_INLINE int http_header_name(const struct http_buf *buf, __u32 at, __u32 len)
{
	const __u8 *l = http_line_ptr(buf, at);

	if (!l)
		return HH_OTHER;
	if ((l[0] | 0x20) == 'c' && len >= 15 &&
	    (http_word(l) | HTTP_LOWER) == 0x2d746e65746e6f63ULL /* "content-" */
	    && ((http_word(l + 8) | HTTP_LOWER) & 0x00ffffffffffffffULL) ==
		       0x003a6874676e656cULL /* "length:" */
	    && l[7] == '-' && l[14] == ':')
		return HH_CONTENT_LENGTH;
	if ((l[0] | 0x20) == 't' && len >= 18 &&
	    (http_word(l) | HTTP_LOWER) == 0x726566736e617274ULL     /* "transfer" */
	    && (http_word(l + 8) | HTTP_LOWER) == 0x6e69646f636e652dULL /* "-encodin" */
	    && (l[16] | 0x20) == 'g' && l[17] == ':' && l[8] == '-')
		return HH_TRANSFER_ENCODING;
	return HH_OTHER;
}

/* Decimal value from byte `from` of a complete line (blanks around it
 * allowed); -1 when absent, malformed or huge. */
HTTP_LEAF __s64 http_parse_length(const struct http_buf *buf, __u32 at, __u32 from, __u32 len)
{
	const __u8 *l = http_line_ptr(buf, at);
	__s64 v = -1;
	__u32 i;
	int after = 0; /* blanks after the digits */

	if (!l || len > HTTP_LINE_MAX)
		return -1;
	for (i = from; i < HTTP_LINE_MAX; i++) {
		__u8 c;

		if (i >= len)
			break;
		c = l[i & (HTTP_LINE_MAX - 1)];
		if (http_is_digit(c)) {
			if (after || v > 99999999999999999LL)
				return -1;
			v = (v < 0 ? 0 : v * 10) + (c - '0');
		} else if (c == ' ' || c == '\t') {
			after = v >= 0;
		} else {
			return -1;
		}
	}
	return v;
}

/* Chunk size line: hex digits, optionally followed by ";ext" or blanks. */
HTTP_LEAF __s64 http_parse_chunk_size(const struct http_buf *buf, __u32 at, __u32 len)
{
	const __u8 *l = http_line_ptr(buf, at);
	__s64 v = 0;
	__u32 i, digits = 0;

	if (!l)
		return -1;

	for (i = 0; i < HTTP_LINE_MAX; i++) {
		__u8 c, d;

		if (i >= len)
			break;
		c = l[i & (HTTP_LINE_MAX - 1)];
		if (http_is_digit(c))
			d = c - '0';
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			d = (c | 0x20) - 'a' + 10;
		else if (c == ';' || c == ' ' || c == '\t')
			break;
		else
			return -1;
		if (digits++ >= 15)
			return -1;
		v = v * 16 + d;
	}
	return digits ? v : -1;
}

/* Does the (complete, CR-trimmed) Transfer-Encoding line end in "chunked"? */
HTTP_LEAF int http_ends_chunked(const struct http_buf *buf, __u32 at, __u32 len)
{
	const __u8 *l = http_line_ptr(buf, at);
	__u32 e = len;
	__u32 i;
	__u8 before;

	if (!l || len > HTTP_LINE_MAX)
		return 0;
	for (i = 0; i < 8; i++) { /* trailing blanks */
		__u8 c;

		if (e <= 18)
			break;
		c = l[(e - 1) & (HTTP_LINE_MAX - 1)];
		if (c != ' ' && c != '\t')
			break;
		e--;
	}
	if (e < 18 + 7)
		return 0;
	e = (e - 8) & (HTTP_LINE_MAX - 1);
	if (((http_word(l + e) | HTTP_LOWER) >> 8) != 0x64656b6e756863ULL) /* "chunked" */
		return 0;
	/* A token boundary before it: ':', ',', or blank. */
	before = l[e];
	return before == ':' || before == ',' || before == ' ' || before == '\t';
}

/* What http_scan_headers found, and its progress. */
struct http_hdr_scan {
	__s64 content_length; /* -1: no Content-Length line consumed */
	__u32 consumed;       /* bytes of complete lines consumed */
	__u32 line;           /* start of the next line to look at */
	__u8 end;             /* the empty line ending the headers was consumed */
	__u8 bad;             /* an unusable or conflicting Content-Length */
	__u8 pad[2];
};

/*
 * The fast path for header lines: consumes complete lines from the window at
 * off (avail bytes), looking only at their first word, and parses
 * Content-Length on the way. It stops after the empty line, before a
 * Transfer-Encoding line, or before a line that does not end in the window;
 * the line-by-line path (http_line) takes over from there.
 *
 * Per line it looks at the first word, then finds the line's end eight bytes
 * at a time, without a call. The per-line progress lives in *out, not in
 * registers: the verifier does not track values in memory, so every round of
 * the outer loop looks alike to it and it checks that loop once instead of
 * once per path.
 */
HTTP_LEAF int http_scan_headers(const struct http_buf *buf, __u32 off, __u32 avail,
				struct http_hdr_scan *out)
{
	const __u64 ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
	__u32 i, j;

	if (!buf || !out)
		return 0;
	out->content_length = -1;
	out->consumed = 0;
	out->line = 0;
	out->end = 0;
	out->bad = 0;
	if (off >= HTTP_WINDOW || avail > HTTP_WINDOW - off)
		return 0;
	/* Small bounds keep verification fast (bounded loops are verified round
	 * by round); whatever is left over is taken by the next step. */
	for (i = 0; i < HTTP_SCAN_LINES; i++) {
		/* A volatile read: clang would keep the line in a register,
		 * whose exact value the verifier tracks round by round (6.1's
		 * verifier then walked over a million instructions here). */
		__u32 line = *(volatile const __u32 *)&out->line, scan, nl = HTTP_WINDOW;
		__u64 w, lw;

		if (line >= avail)
			return 0;
		w = http_word(&buf->b[(off + line) & (HTTP_WINDOW - 1)]);
		if ((w & 0xff) == '\n' || ((w & 0xffff) == 0x0a0d && avail - line >= 2)) {
			out->consumed = line + ((w & 0xff) == '\n' ? 1 : 2);
			out->end = 1;
			return 0;
		}
		lw = w | HTTP_LOWER;
		if (lw == 0x726566736e617274ULL) /* "transfer" */
			return 0;

		scan = line;
		for (j = 0; j < HTTP_SCAN_WORDS; j++) {
			__u64 x, hit;

			if (scan >= avail)
				break;
			x = http_word(&buf->b[(off + scan) & (HTTP_WINDOW - 1)]) ^ (ones * '\n');
			hit = (x - ones) & ~x & highs;
			if (hit) {
				nl = scan + (__u32)((((hit & (~hit + 1)) >> 7) *
						      0x0001020304050607ULL) >> 56);
				break;
			}
			scan += 8;
		}
		if (nl >= avail)
			return 0; /* the line goes on past the window */

		if (lw == 0x2d746e65746e6f63ULL) { /* "content-" */
			__u32 at = (off + line) & (HTTP_WINDOW - 1), len = nl - line;
			__s64 v;

			if (http_header_name(buf, at, len) == HH_CONTENT_LENGTH) {
				if (len > 0 && len <= HTTP_LINE_MAX &&
				    buf->b[(at + len - 1) & (HTTP_WINDOW - 1)] == '\r')
					len--;
				v = http_parse_length(buf, at, 15, len);
				if (v < 0 || (out->content_length >= 0 && out->content_length != v)) {
					out->bad = 1;
					return 0;
				}
				out->content_length = v;
			}
		}
		out->line = nl + 1;
		out->consumed = nl + 1;
	}
	return 0;
}

/* ---- URL templates --------------------------------------------------------- */

/*
 * The URL template of a request line's target (the rules, with examples, are
 * in docs/design.md, "URL templates"): the path, without query or fragment,
 * with segments that look like identifiers as {id}, the first
 * HTTP_TMPL_DEPTH segments kept and "/ **" (without the space) for the rest.
 *
 * It is computed from the line's first HTTP_LINE_MAX bytes and nothing else:
 * of a line that straddles windows those are the kept prefix, so the template
 * is the same wherever segments and windows cut the line, and no state of
 * its own has to survive from one segment to the next. A target that goes
 * on past them ends in "/ **", without the segment they cut.
 *
 * The id is a hash of the template's text, so two lines with the same
 * template have the same id on every connection, in every process, and
 * userspace can check a name against it.
 */
enum http_tmpl_phase { HTP_PATH = 0, HTP_AUTHORITY, HTP_DONE, HTP_BAD };

#define HTTP_FNV_BASIS 0xcbf29ce484222325ULL
#define HTTP_FNV_PRIME 0x100000001b3ULL
/* A UUID's dashes: 8-4-4-4-12 hex digits. */
#define HTTP_UUID_DASHES ((1ULL << 8) | (1ULL << 13) | (1ULL << 18) | (1ULL << 23))
#define HTTP_TMPL_BAD_ESCAPE 0x100 /* a %-escape whose digits are not hex */

HTTP_INLINE __u64 http_fnv(__u64 h, __u8 c)
{
	return (h ^ c) * HTTP_FNV_PRIME;
}

/* A template's id from the hash of its text: 56 bits (it shares a word with
 * the method in struct http_pending), never HTTP_TMPL_NONE or _OTHER. */
HTTP_INLINE __u64 http_tmpl_id(__u64 h)
{
	h >>= 8;
	return h < 2 ? h + 2 : h;
}

/*
 * The classification below is kept free of branches: every branch in it
 * doubled the paths the verifier walks through the rest of a round of the
 * scan (it took 15,000 instructions a byte with them). Comparisons are
 * sign bits of 64-bit differences of small values, hidden from clang
 * (HTTP_OPAQUE), which would turn them back into branches.
 */
HTTP_INLINE __u64 http_nz(__u64 x) /* 1 when x != 0 */
{
	__u64 y = x | (0 - x);

	HTTP_OPAQUE(y);
	return y >> 63;
}

HTTP_INLINE __u64 http_in(__u64 x, __u64 lo, __u64 hi) /* 1 when lo <= x <= hi (all < 2^32) */
{
	__u64 y = (x - lo) | (hi - x);

	HTTP_OPAQUE(y);
	return (y >> 63) ^ 1;
}

/* Value of a hex digit, HTTP_TMPL_BAD_ESCAPE or more for anything else. */
HTTP_INLINE __u32 http_hex_value(__u32 c)
{
	__u64 lc = c | 0x20, digit = http_in(c, '0', '9'), letter = http_in(lc, 'a', 'f');

	return (__u32)(digit * (c - '0') + letter * (lc - 'a' + 10) +
		       (1 - (digit | letter)) * HTTP_TMPL_BAD_ESCAPE);
}

/* One decoded character of the open segment (HTTP_TMPL_BAD_ESCAPE or more:
 * an escape that decodes to nothing, a character of no class). */
HTTP_INLINE void http_tmpl_char(volatile struct http_tmpl_work *w, __u32 c)
{
	__u64 n = w->n, lc = c | 0x20, digit = http_in(c, '0', '9');
	__u64 hex = digit | http_in(lc, 'a', 'f'), dash = 1 - http_nz(c ^ '-');

	w->digits = w->digits + (__u32)digit;
	w->nonhex = w->nonhex + (__u32)(1 - hex);
	w->nonhexdash = w->nonhexdash + (__u32)((1 - hex) & (1 - dash));
	w->dashes = w->dashes | ((dash & http_in(n, 0, 63)) << (n & 63));
	w->n = (__u32)n + 1;
}

/* The open segment ends: is it an identifier? All digits; a UUID; 8 or more
 * hex digits; or 3 digits or more among other characters (the grace: "v1",
 * "oauth2", "base64" stay words). */
HTTP_INLINE void http_tmpl_close(volatile struct http_tmpl_work *w)
{
	/* an escape cut short by the segment's end: a character of no class */
	__u64 e = http_nz(w->esc), n = w->n + e, digits = w->digits;
	__u64 nonhex = w->nonhex + e, nonhexdash = w->nonhexdash + e, k = w->seg - 1;
	__u64 id = http_nz(n) & ((1 - http_nz(digits ^ n)) | http_in(digits, 3, 64) |
				 (http_in(n, 8, 64) & (1 - http_nz(nonhex))) |
				 ((1 - http_nz(n ^ 36)) & (1 - http_nz(nonhexdash)) &
				  (1 - http_nz(w->dashes ^ HTTP_UUID_DASHES))));

	w->esc = 0;
	w->ids = w->ids | (__u32)((id & http_in(k, 0, HTTP_TMPL_DEPTH - 1)) << (k & 31));
}

/* A '/' at i opens a segment. */
HTTP_INLINE void http_tmpl_open(volatile struct http_tmpl_work *w, __u32 i)
{
	w->n = 0;
	w->digits = 0;
	w->nonhex = 0;
	w->nonhexdash = 0;
	w->dashes = 0;
	w->esc = 0;
	w->seg = w->seg + 1;
	w->slash = i;
}

/* One byte of the path. */
HTTP_INLINE void http_tmpl_path_byte(volatile struct http_tmpl_work *w, __u8 c, __u32 i)
{
	if (c == ' ' || c == '?' || c == '#') {
		if (w->seg)
			http_tmpl_close(w);
		w->end = i;
		w->phase = HTP_DONE;
	} else if (c == '/') {
		if (w->seg)
			http_tmpl_close(w);
		if (w->seg >= HTTP_TMPL_DEPTH) {
			w->end = i;
			w->flags = w->flags | HT_DEEP;
			w->phase = HTP_DONE;
		} else {
			http_tmpl_open(w, i);
		}
	} else if (c < 0x21 || c > 0x7e) {
		w->phase = HTP_BAD; /* control bytes, raw non-ASCII: malformed */
	} else if (w->esc) {
		/* a digit that is not hex leaves v at HTTP_TMPL_BAD_ESCAPE or more */
		__u32 v = w->escv * 16 + http_hex_value(c);

		w->escv = v;
		w->esc = w->esc - 1;
		if (!w->esc)
			http_tmpl_char(w, v);
	} else if (c == '%') {
		w->esc = 2;
		w->escv = 0;
	} else {
		http_tmpl_char(w, c);
	}
}

/*
 * The template of the request line whose first min(len, HTTP_LINE_MAX)
 * bytes are at buf->b[at], into buf->tmpl; returns its id, or
 * HTTP_TMPL_NONE when the target has none (authority-form, malformed).
 */
HTTP_LEAF __u64 http_url_template(struct http_buf *buf, __u32 at, __u32 len)
{
	const __u8 *l = http_line_ptr(buf, at);
	volatile struct http_tmpl_work *w;
	struct http_url_tmpl *t;
	__u32 end, i, k, t0, from, to, ids;
	__u64 h;
	__u32 flags;

	if (!l)
		return HTTP_TMPL_NONE;
	t = &buf->tmpl;
	w = &buf->tw;
	t->id = HTTP_TMPL_NONE;
	end = len < HTTP_LINE_MAX ? len : HTTP_LINE_MAX;
	/* The target starts after the method and one space. */
	for (i = 0; i < 21; i++) {
		if (i >= end)
			return HTTP_TMPL_NONE;
		if (l[i] == ' ')
			break;
	}
	/* Through memory: paths that found the space at different places then
	 * look alike to the verifier from here on. */
	w->from = i + 1;
	w->lim = end;
	w->cut = len > HTTP_LINE_MAX;
	t0 = w->from;
	/* The search narrowed `end` (and `len`, its copy) differently on each
	 * way out of it: from memory they look alike again. */
	end = w->lim;
	if (t0 > 20 || t0 >= end)
		return HTTP_TMPL_NONE;
	w->n = 0;
	w->seg = 0;
	w->ids = 0;
	w->esc = 0;
	w->slash = t0;
	w->end = t0;
	w->flags = 0;
	w->phase = HTP_PATH;
	if (l[t0] == '*') {
		if (t0 + 1 < end && l[t0 + 1] != ' ')
			return HTTP_TMPL_NONE;
		w->flags = HT_ASTERISK;
		w->phase = HTP_DONE;
	} else if (l[t0] != '/') {
		/* absolute-form: the path starts after the authority */
		__u64 word = http_word(&l[t0]);

		w->phase = HTP_AUTHORITY;
		if (t0 + 7 <= end && ((word | 0x20202020ULL) & 0x00ffffffffffffffULL) ==
					     0x002f2f3a70747468ULL) /* "http://" */
			w->from = t0 + 7;
		else if (t0 + 8 <= end && (word | 0x2020202020ULL) == 0x2f2f3a7370747468ULL)
			w->from = t0 + 8; /* "https://" */
		else
			return HTTP_TMPL_NONE;
	}
	w->start = w->from;
	/* Pass 1: where the kept path ends and which segments are identifiers.
	 * Its bounds come from memory in every round: compared in registers,
	 * each round's comparison narrowed them (and their copies on the stack)
	 * to a range of its own, and the ways out of the loop did not merge. */
	for (k = 0; k < HTTP_LINE_MAX; k++) {
		__u32 phase = w->phase;
		__u8 c;

		i = w->start + k;
		if (i >= w->lim || phase >= HTP_DONE)
			break;
		c = l[i & (HTTP_LINE_MAX - 1)];
		if (phase == HTP_AUTHORITY) {
			if (c == ' ' || c == '?' || c == '#') {
				w->flags = HT_ROOT;
				w->from = i;
				w->end = i;
				w->phase = HTP_DONE;
			} else if (c < 0x21 || c > 0x7e) {
				w->phase = HTP_BAD;
			} else if (c == '/') {
				w->from = i;
				w->phase = HTP_PATH;
			}
			if (c != '/')
				continue;
		}
		http_tmpl_path_byte(w, c, i);
	}
	if (w->phase == HTP_BAD)
		return HTTP_TMPL_NONE;
	/* The loop narrowed `end` differently on each way out of it. */
	end = w->lim;
	if (w->phase != HTP_DONE) {
		if (w->phase == HTP_AUTHORITY) {
			/* no path: "/", or "/ **" when what was read ends first */
			w->flags = w->cut ? HT_DEEP : HT_ROOT;
			w->from = end;
			w->end = end;
		} else if (w->cut) {
			/* Cut by what was read: without the segment it cut. */
			w->flags = w->flags | HT_DEEP;
			w->end = w->slash;
		} else {
			/* The line ends with the target (no version). */
			if (w->seg)
				http_tmpl_close(w);
			w->end = end;
		}
	}
	t->from = (__u8)w->from;
	t->to = (__u8)w->end;
	/* Pass 2: the kept path into t->path, its identifiers masked, and the
	 * hash of the template's text. Only the kept path is walked, not the
	 * whole line: most paths are far shorter than it. The rest of path[]
	 * is zeroed in one go. */
	__builtin_memset(t->path, 0, sizeof(t->path));
	w->seg = 0;
	w->hash = HTTP_FNV_BASIS;
	for (k = 0; k < HTTP_LINE_MAX; k++) {
		__u8 c, o;
		__u64 h = w->hash;

		/* From memory in every round, as in pass 1. */
		from = w->from;
		to = w->end;
		ids = w->ids;
		i = from + k;
		if (i >= to)
			break;
		i &= HTTP_LINE_MAX - 1;
		c = l[i];
		if (c == '/') {
			w->seg = w->seg + 1;
			o = '/';
			h = http_fnv(h, '/');
		} else if ((ids >> ((w->seg - 1) & 31)) & 1) {
			o = HTTP_TMPL_ID;
			if (l[(i - 1) & (HTTP_LINE_MAX - 1)] == '/') {
				h = http_fnv(h, '{');
				h = http_fnv(h, 'i');
				h = http_fnv(h, 'd');
				h = http_fnv(h, '}');
			}
		} else {
			o = c;
			h = http_fnv(h, c);
		}
		w->hash = h;
		t->path[i] = o;
	}
	h = w->hash;
	flags = w->flags;
	if (flags & HT_ASTERISK)
		h = http_fnv(h, '*');
	if (flags & HT_ROOT)
		h = http_fnv(h, '/');
	if (flags & HT_DEEP) {
		h = http_fnv(h, '/');
		h = http_fnv(h, '*');
		h = http_fnv(h, '*');
	}
	t->flags = (__u8)flags;
	t->id = http_tmpl_id(h);
	return t->id;
}

/* ---- connection bookkeeping ---------------------------------------------- */

HTTP_INLINE void http_request_started(struct http_feed *f, __u8 method, __u64 start_ns,
					__u64 url_template)
{
	struct http_conn *c = f->conn;
	__u32 seq = c->requests;
	struct http_pending *p = &c->pending[seq & (HTTP_PIPELINE - 1)];

	/* No look at the send side's progress: with more than HTTP_PIPELINE
	 * requests unanswered, this overwrites the oldest one, whose response
	 * then finds a later tag in its slot. */
	p->tag = seq + 1;
	p->start = (__u32)(start_ns >> 10);
	p->what = method | url_template << 8;
	c->requests = seq + 1;
}

/* Latency from a start time in units of 1024 ns. A departure stamp can precede
 * a receive stamp by a hair across CPUs: a "negative" elapsed time is zero,
 * not 73 minutes. */
HTTP_INLINE __u64 http_elapsed(const struct http_feed *f, __u32 start)
{
	__u32 elapsed = (__u32)(f->now_ns >> 10) - start;

	return elapsed < 0x80000000U ? (__u64)elapsed << 10 : 0;
}

/* The method of a request line of which only the first bytes arrived, kept in
 * the receive side's line[]: copied to the reassembly area of the send
 * side's buffer (free while a status line is being handled) and parsed there.
 * A leaf of its own, like http_peek: rare, and kept out of the verifier's
 * walk of the common path. */
HTTP_LEAF int http_partial_method(const struct http_stream *req, struct http_buf *buf)
{
	__u32 k, len;

	if (!req || !buf)
		return HTTP_M_OTHER;
	len = req->line_len;
	for (k = 0; k < HTTP_LINE_MAX / 8; k++)
		http_put_word(&buf->b[HTTP_LINE_AT + k * 8], http_word(&req->line[k * 8]));
	if (len > HTTP_LINE_MAX)
		len = HTTP_LINE_MAX;
	return http_parse_method(buf, HTTP_LINE_AT, len);
}

/*
 * A final response starts: pair it with the oldest unanswered request.
 * Returns the method its framing goes by: the request's, HTTP_M_UNSEEN when
 * the request was not seen, HTTP_M_OTHER when there is none.
 */
HTTP_INLINE __u8 http_response_started(struct http_feed *f, __u16 status)
{
	struct http_conn *c = f->conn;
	const struct http_stream *req = &c->req;
	__u32 seq = c->responses;
	struct http_pending *p = &c->pending[seq & (HTTP_PIPELINE - 1)];
	/* 0: the slot holds this request; above: a later one took it; below:
	 * this request was not seen (yet). */
	__s32 ahead = (__s32)(p->tag - (seq + 1));
	__u8 method = HTTP_M_OTHER, framing = HTTP_M_UNSEEN;
	__u64 latency = 0, url_template = HTTP_TMPL_NONE;
	int timed = 0;

	if (ahead == 0) {
		__u64 what = p->what;

		method = framing = (__u8)what;
		url_template = what >> 8;
		latency = http_elapsed(f, p->start);
		timed = 1;
		c->responses = seq + 1;
	} else if (ahead > 0) {
		HTTP_ON_NOTE(f, HN_PIPELINE_OVERFLOW);
		c->responses = seq + 1;
	} else if (req->state == HS_LOST || (req->flags & HF_SKIPPED)) {
		/* After a receive-side gap, or when the connection's first bytes
		 * were not parsed, requests were missed, not absent: the response
		 * counts, method unknown. */
		HTTP_ON_NOTE(f, HN_REQUEST_UNSEEN);
	} else if (req->state == HS_LINE && req->line_kind == LK_START &&
		   (req->flags & HF_LINE_KEPT) && c->requests == seq) {
		/* The next request has begun but its line is not complete (a
		 * client that stopped in the middle, answered with 400 or 408):
		 * it is answered now, with the method if its first bytes name
		 * one, and no template (its target may not be complete). Whatever
		 * the method, the server answered without reading the request,
		 * so the response is framed as for any request. */
		method = (__u8)http_partial_method(req, f->buf);
		framing = HTTP_M_OTHER;
		latency = http_elapsed(f, (__u32)(req->line_start_ns >> 10));
		timed = 1;
		c->responses = seq + 1;
	} else {
		/* No request to answer: not counted. */
		HTTP_ON_NOTE(f, HN_UNMATCHED_RESPONSE);
		return HTTP_M_OTHER;
	}
	/* One call site: each inlined copy would be verified separately. */
	HTTP_ON_EXCHANGE(f, method, status, latency, timed, url_template);
	return framing;
}

HTTP_INLINE void http_stream_lost(struct http_feed *f, struct http_stream *st, __u8 state,
				  __u8 note)
{
	st->state = state;
	HTTP_ON_NOTE(f, note);
}

HTTP_INLINE void http_message_done(struct http_stream *st)
{
	st->state = HS_LINE;
	st->line_kind = LK_START;
	st->flags &= HF_STICKY;
	st->remaining = 0;
}

/* The empty line after the headers: decide how the body is framed. */
HTTP_INLINE void http_headers_done(struct http_feed *f, struct http_stream *st, const int response)
{
	if (response) {
		__u16 s = st->status;

		if (s == 101 || (st->method == HTTP_M_CONNECT && s >= 200 && s < 300)) {
			st->state = HS_TUNNEL;
			return;
		}
		if (s < 200 || s == 204 || s == 304 || st->method == HTTP_M_HEAD) {
			http_message_done(st);
			return;
		}
		/* Its request was not seen: had it been HEAD, the body its
		 * headers announce is not there. The next bytes tell. */
		if (st->method == HTTP_M_UNSEEN &&
		    ((st->flags & HF_CHUNKED) || !(st->flags & HF_LENGTH) || st->remaining > 0)) {
			st->state = HS_PEEK;
			st->line_len = 0;
			return;
		}
	}
	if (st->flags & HF_CHUNKED) {
		st->state = HS_LINE;
		st->line_kind = LK_CHUNK_SIZE;
		st->remaining = 0;
	} else if ((st->flags & HF_LENGTH) && st->remaining > 0) {
		st->state = HS_BODY;
	} else if (response && !(st->flags & HF_LENGTH)) {
		st->state = HS_UNTIL_CLOSE;
	} else {
		http_message_done(st);
	}
}

/* A complete line: `len` bytes (without '\n'), of which the first
 * min(len, HTTP_LINE_MAX) are readable at buf->b[at]. */
HTTP_INLINE void http_line(struct http_feed *f, struct http_stream *st, __u32 at, __u32 len,
			    const int response)
{
	const __u8 *l = http_line_ptr(f->buf, at);

	if (!l)
		return;
	if (len <= HTTP_LINE_MAX && len > 0 && l[(len - 1) & (HTTP_LINE_MAX - 1)] == '\r')
		len--;

	switch (st->line_kind) {
	case LK_START:
		if (len == 0)
			return; /* stray CRLF between messages is allowed */
		if (!response) {
			__u8 m = (__u8)http_parse_method(f->buf, at, len);
			__u64 tmpl = HTTP_TMPL_NONE;

			if (m == HTTP_M_OTHER && !http_is_other_request(f->buf, at, len)) {
				http_stream_lost(f, st, HS_NOT_HTTP, HN_NOT_HTTP);
				return;
			}
			st->method = m;
			if (HTTP_TEMPLATES(f) && m != HTTP_M_CONNECT) {
				tmpl = http_url_template(f->buf, at, len);
				/* Named once per run of requests with one template. */
				if (tmpl != HTTP_TMPL_NONE && tmpl != f->conn->last_template)
					HTTP_ON_TEMPLATE(f, &f->buf->tmpl);
				f->conn->last_template = tmpl;
			}
			http_request_started(f, m, st->line_start_ns ? st->line_start_ns : f->now_ns,
					     tmpl);
		} else {
			__u16 s = (__u16)http_parse_status(f->buf, at, len);

			if (!s) {
				http_stream_lost(f, st, HS_NOT_HTTP, HN_NOT_HTTP);
				return;
			}
			st->status = s;
			st->method = (s >= 200 || s == 101) ? http_response_started(f, s) : HTTP_M_OTHER;
		}
		st->line_kind = LK_HEADER;
		st->flags &= HF_STICKY;
		st->remaining = 0;
		return;
	case LK_HEADER: {
		int h;

		if (len == 0) {
			http_headers_done(f, st, response);
			return;
		}
		h = http_header_name(f->buf, at, len);
		if (h == HH_CONTENT_LENGTH) {
			__s64 v = http_parse_length(f->buf, at, 15, len);

			if (v < 0 || ((st->flags & HF_LENGTH) && st->remaining != (__u64)v)) {
				http_stream_lost(f, st, HS_LOST, HN_BAD_HEADER);
				return;
			}
			st->remaining = (__u64)v;
			st->flags |= HF_LENGTH;
		} else if (h == HH_TRANSFER_ENCODING) {
			if (len > HTTP_LINE_MAX) {
				http_stream_lost(f, st, HS_LOST, HN_BAD_HEADER);
				return;
			}
			if (http_ends_chunked(f->buf, at, len))
				st->flags |= HF_CHUNKED;
			else
				st->flags &= (__u8)~HF_CHUNKED;
		}
		return;
	}
	case LK_CHUNK_SIZE: {
		__s64 v = http_parse_chunk_size(f->buf, at, len < HTTP_LINE_MAX ? len : HTTP_LINE_MAX);

		if (v < 0) {
			http_stream_lost(f, st, HS_LOST, HN_BAD_HEADER);
			return;
		}
		if (v == 0) {
			st->line_kind = LK_TRAILER;
		} else {
			st->state = HS_CHUNK_DATA;
			st->remaining = (__u64)v + 2; /* data and its CRLF */
		}
		return;
	}
	default: /* LK_TRAILER */
		if (len == 0)
			http_message_done(st);
		return;
	}
}

/* dst[] = the last HTTP_TAIL bytes of old[] followed by the n bytes at
 * buf->b[off]. dst may be old: each byte is read before it is written. */
HTTP_INLINE void http_roll_tail(__u8 *dst, const __u8 *old, const struct http_buf *buf, __u32 off,
				__u32 n)
{
	__u32 i;

	for (i = 0; i < HTTP_TAIL; i++) {
		__u32 j = n + i;

		if (j < HTTP_TAIL) {
			HTTP_OPAQUE(j); /* keep the mask: the verifier needs it */
			dst[i] = old[j & (HTTP_TAIL - 1)];
		} else {
			dst[i] = buf->b[(off + j - HTTP_TAIL) & (HTTP_WINDOW - 1)];
		}
	}
}

/* Keep the first bytes of a line that continues past the window. Copies go a
 * word at a time: eight rounds for the verifier to check instead of 64. */
HTTP_LEAF int http_keep(struct http_stream *st, const struct http_buf *buf, __u32 off, __u32 n,
			__u64 now_ns)
{
	__u32 k, dst;

	if (!st || !buf)
		return 0;
	if (!(st->flags & HF_LINE_KEPT)) {
		st->flags |= HF_LINE_KEPT;
		st->line_len = 0;
		st->line_total = 0;
		if (st->line_kind == LK_START)
			st->line_start_ns = now_ns;
	}
	dst = st->line_len;
	if (dst > HTTP_LINE_MAX)
		return 0;
	HTTP_OPAQUE(dst);
	for (k = 0; k < HTTP_LINE_MAX / 8; k++) {
		__u32 o = k * 8;

		if (o >= n || dst + o >= HTTP_LINE_MAX)
			break;
		/* The last word may carry bytes past the line: harmless, they
		 * land beyond line_len. */
		http_put_word(&st->line[(dst + o) & (HTTP_LINE_MAX - 1)],
			      http_word(&buf->b[(off + o) & (HTTP_WINDOW - 1)]));
	}
	st->line_len = (__u8)(dst + (n < HTTP_LINE_MAX - dst ? n : HTTP_LINE_MAX - dst));
	st->line_total += n;
	if (st->line_kind == LK_START)
		http_roll_tail(st->tail, st->tail, buf, off, n);
	return 0;
}

/* Put the kept prefix and the line's last part together at HTTP_LINE_AT, and
 * the last HTTP_TAIL bytes of a long start line at HTTP_TAIL_AT.
 * Returns the line's full length. Bytes past the first HTTP_LINE_MAX of the
 * line, or past its end, may follow it there: nothing reads them. */
HTTP_LEAF __u32 http_reassemble(const struct http_stream *st, struct http_buf *buf, __u32 off,
				__u32 n)
{
	__u32 kept, k;

	if (!st || !buf)
		return 0;
	for (k = 0; k < HTTP_LINE_MAX / 8; k++)
		http_put_word(&buf->b[HTTP_LINE_AT + k * 8], http_word(&st->line[k * 8]));
	kept = st->line_len;
	if (kept > HTTP_LINE_MAX)
		kept = HTTP_LINE_MAX;
	HTTP_OPAQUE(kept);
	for (k = 0; k < HTTP_LINE_MAX / 8; k++) {
		__u32 o = k * 8;

		if (o >= n || kept + o >= HTTP_LINE_MAX)
			break;
		http_put_word(&buf->b[HTTP_LINE_AT + ((kept + o) & (HTTP_LINE_MAX - 1))],
			      http_word(&buf->b[(off + o) & (HTTP_WINDOW - 1)]));
	}
	if (st->line_kind == LK_START && st->line_total + n > HTTP_LINE_MAX)
		http_roll_tail(&buf->b[HTTP_TAIL_AT], st->tail, buf, off, n);
	return st->line_total + n;
}

/* Load the window at f->pos. */
HTTP_INLINE int http_load_window(struct http_feed *f)
{
	__s64 n = (__s64)f->end - (__s64)f->pos;
	__u32 len;

	if (n > HTTP_WINDOW)
		n = HTTP_WINDOW;
	if (n <= 0)
		return -1;
	/* Bounded again by arithmetic, which survives the copies and spills
	 * clang makes: a 5.15 verifier carries no comparison over to them.
	 * It changes nothing (1 <= len <= HTTP_WINDOW). */
	len = (__u32)n - 1;
	HTTP_OPAQUE(len);
	len = (len & (HTTP_WINDOW - 1)) + 1;
	if (HTTP_LOAD(f, f->pos, f->buf->b, len))
		return -1;
	f->win_base = f->pos;
	f->win_len = len;
	return 0;
}

/* Skip body or chunk bytes; they are never loaded. */
HTTP_INLINE void http_skip(struct http_feed *f, struct http_stream *st)
{
	__u64 left = f->end - f->pos;
	__u64 n = st->remaining < left ? st->remaining : left;

	f->pos += (__u32)n;
	st->remaining -= n;
	if (st->remaining == 0) {
		if (st->state == HS_CHUNK_DATA) {
			st->state = HS_LINE;
			st->line_kind = LK_CHUNK_SIZE;
		} else {
			http_message_done(st);
		}
	}
}

/* Consume the header lines the fast path can take; returns 1 when it took some. */
HTTP_INLINE int http_headers_fast(struct http_feed *f, struct http_stream *st, const int response)
{
	/* Initialised: verifiers before 6.x refuse uninitialised stack
	 * passed to a global function, even one that only writes it. */
	struct http_hdr_scan hs = {};
	__u32 off = f->pos - f->win_base;

	if (f->pos < f->win_base || off >= f->win_len || off >= HTTP_WINDOW)
		return 0;
	http_scan_headers(f->buf, off, f->win_len - off, &hs);
	if (hs.bad || (hs.content_length >= 0 && (st->flags & HF_LENGTH) &&
		       st->remaining != (__u64)hs.content_length)) {
		http_stream_lost(f, st, HS_LOST, HN_BAD_HEADER);
		return 1;
	}
	if (hs.content_length >= 0) {
		st->remaining = (__u64)hs.content_length;
		st->flags |= HF_LENGTH;
	}
	f->pos += hs.consumed;
	if (hs.end) {
		http_headers_done(f, st, response);
		if (st->state == HS_BODY && f->pos < f->end)
			http_skip(f, st);
	}
	return hs.consumed != 0;
}

/* "HTTP/1.1": a status line's first word ("HTTP/1.0" is the same with bit 56 clear). */
#define HTTP_STATUS_WORD 0x312e312f50545448ULL

/*
 * After the headers of a response to an unseen request that announce a body
 * (HS_PEEK): if the next bytes start a status line, the request was HEAD (or
 * the like) and there is no body; anything else is the body. A chunk-size
 * line cannot start with 'H', so one byte decides a chunked body. Otherwise
 * the first 8 bytes decide (fewer when Content-Length is smaller: more would
 * be the next message's), kept in line[] while segments bring them. Kept
 * bytes that start a status line stay there as the start of that line.
 * Looks at the window's [off, off + avail); returns the bytes it consumed,
 * plus HTTP_PEEK_DECIDED once it decided. A leaf: rare, and its branches
 * kept out of the verifier's walk of the common path.
 */
#define HTTP_PEEK_DECIDED 0x10000

HTTP_LEAF int http_peek(struct http_stream *st, const struct http_buf *buf, __u32 off, __u32 avail)
{
	__u32 need, kept, n = 0;
	__u64 w, mask;
	int status;

	if (!st || !buf || off >= HTTP_WINDOW || avail == 0)
		return 0;
	if (st->flags & HF_CHUNKED) {
		if (buf->b[off & (HTTP_WINDOW - 1)] == 'H') {
			http_message_done(st);
		} else {
			st->state = HS_LINE;
			st->line_kind = LK_CHUNK_SIZE;
			st->remaining = 0;
		}
		return HTTP_PEEK_DECIDED;
	}
	need = (st->flags & HF_LENGTH) && st->remaining < 8 ? (__u32)st->remaining : 8;
	kept = st->line_len;
	if (kept >= need || need == 0) {
		http_message_done(st); /* cannot happen: progress whatever */
		return HTTP_PEEK_DECIDED;
	}
	if (kept == 0 && avail >= need) {
		w = http_word(&buf->b[off & (HTTP_WINDOW - 1)]);
	} else {
		n = need - kept < avail ? need - kept : avail;
		http_put_word(&st->line[kept & 7], http_word(&buf->b[off & (HTTP_WINDOW - 1)]));
		kept += n;
		st->line_len = (__u8)kept;
		if (kept < need)
			return (int)n;
		w = http_word(st->line);
	}
	mask = need >= 8 ? ~0ULL : (1ULL << ((need & 7) * 8)) - 1;
	status = ((w | (1ULL << 56)) & mask) == (HTTP_STATUS_WORD & mask);
	if (status) {
		http_message_done(st);
		if (n) { /* the kept bytes are the start of the next status line */
			st->flags |= HF_LINE_KEPT;
			st->line_len = (__u8)need;
			st->line_total = need;
		} else {
			st->line_len = 0;
		}
		return (int)n | HTTP_PEEK_DECIDED;
	}
	st->line_len = 0;
	if (!(st->flags & HF_LENGTH)) {
		st->state = HS_UNTIL_CLOSE;
		return (int)n | HTTP_PEEK_DECIDED;
	}
	if (n)
		st->remaining -= need;
	if (st->remaining == 0)
		http_message_done(st);
	else
		st->state = HS_BODY;
	return (int)n | HTTP_PEEK_DECIDED;
}

/*
 * One step. The common message (start line, headers, body in one window) is
 * a single step; lines the fast path leaves (straddling, Transfer-Encoding,
 * chunk sizes, trailers) take a step each. Returns 1 to stop.
 */
HTTP_INLINE long http_step(struct http_feed *f, const int response)
{
	struct http_stream *st = f->st;
	__u32 off, avail, nl, at, len;

	if (f->pos >= f->end)
		return 1;

	if (st->state == HS_BODY || st->state == HS_CHUNK_DATA) {
		http_skip(f, st);
		return 0;
	}
	if (st->state != HS_LINE && (!response || st->state != HS_PEEK))
		return 1;

	if (f->pos < f->win_base || f->pos >= f->win_base + f->win_len) {
		if (http_load_window(f))
			return 1;
	}
	if (response && st->state == HS_PEEK) {
		off = f->pos - f->win_base;
		if (f->pos < f->win_base || off >= f->win_len)
			return 1;
		nl = (__u32)http_peek(st, f->buf, off, f->win_len - off);
		f->pos += nl & (HTTP_PEEK_DECIDED - 1);
		if (nl & HTTP_PEEK_DECIDED)
			HTTP_ON_NOTE(f, HN_FRAMING_GUESSED);
		return 0;
	}
	if (st->line_kind == LK_HEADER && !(st->flags & HF_LINE_KEPT) &&
	    http_headers_fast(f, st, response))
		return 0;

	off = f->pos - f->win_base;
	if (off >= HTTP_WINDOW || off >= f->win_len)
		return 1;
	avail = f->win_len - off;
	nl = http_find_newline(f->buf, off, avail);

	if (nl >= avail) {
		if (off > 0 && f->win_base + f->win_len < f->end) {
			f->win_len = 0; /* the window cut this line: reload at its start */
			return 0;
		}
		http_keep(st, f->buf, off, avail, f->now_ns);
		f->pos += avail;
		return 0;
	}

	if (st->flags & HF_LINE_KEPT) {
		f->buf->line_len = http_reassemble(st, f->buf, off, nl);
		f->buf->line_at = HTTP_LINE_AT;
		st->flags &= (__u8)~HF_LINE_KEPT;
	} else {
		f->buf->line_len = nl;
		f->buf->line_at = off;
		if (st->line_kind == LK_START)
			st->line_start_ns = f->now_ns;
	}
	f->pos += nl + 1;
	/* Read back from memory, which the verifier does not track: both ways
	 * of getting here then look alike and http_line is checked once. */
	at = f->buf->line_at;
	len = f->buf->line_len;
	http_line(f, st, at, len, response);
	st->line_len = 0;
	st->line_total = 0;
	st->line_start_ns = 0;
	/* A start line opens a header block: take it in this step too. */
	if (st->state == HS_LINE && st->line_kind == LK_HEADER && f->pos < f->end)
		http_headers_fast(f, st, response);
	return 0;
}

/* The loop callbacks, one per direction, so each program carries only the
 * code of its own direction (half the code for the verifier to check). */
/* Both stop as soon as the segment is used up: one call fewer per segment. */
static long http_step_request(__u32 index, void *ctx)
{
	struct http_feed *f = (struct http_feed *)ctx;

	(void)index;
	return http_step(f, 0) || f->pos >= f->end;
}

static long http_step_response(__u32 index, void *ctx)
{
	struct http_feed *f = (struct http_feed *)ctx;

	(void)index;
	return http_step(f, 1) || f->pos >= f->end;
}

/*
 * Start feeding the payload [payload_off, payload_off + payload_len) of a
 * segment whose first payload byte has TCP sequence number `seq` into the
 * stream of `f` (f->src, conn, st, buf, user, now_ns and response set by the
 * caller): 1 when f->pos..f->end is left for the steps to parse.
 */
HTTP_INLINE int http_feed_begin(struct http_feed *f, __u32 seq, __u32 payload_off,
				__u32 payload_len)
{
	struct http_stream *st = f->st;
	__s32 d;

	if (st->state >= HS_UNTIL_CLOSE || payload_len == 0)
		return 0;
	if (!(st->flags & HF_SEQ)) {
		st->next_seq = seq;
		st->flags |= HF_SEQ;
	}
	d = (__s32)(seq - st->next_seq);
	if (d > 0 && !f->response && !(st->flags & HF_FED)) {
		/* Nothing parsed yet and bytes before this segment: they came
		 * with the SYN (TCP Fast Open), before the connection had any
		 * state. Start framing here; responses without a request then
		 * count with method unknown. */
		st->flags |= HF_SKIPPED;
		d = 0;
		st->next_seq = seq;
	}
	if (d > 0) {
		http_stream_lost(f, st, HS_LOST, HN_SEQ_GAP);
		return 0;
	}
	if ((__s64)d + (__s64)payload_len <= 0)
		return 0; /* retransmission of bytes already parsed */
	st->next_seq = seq + payload_len;
	st->flags |= HF_FED;

	f->pos = payload_off + (__u32)(-d);
	f->end = payload_off + payload_len;
	f->win_base = 0;
	f->win_len = 0;
	return 1;
}

/* After the steps: bytes left over mean the segment needed more of them
 * than the caller's budget, and the stream cannot be framed any more. */
HTTP_INLINE void http_feed_finish(struct http_feed *f)
{
	if (f->pos < f->end && f->st->state < HS_UNTIL_CLOSE)
		http_stream_lost(f, f->st, HS_LOST, HN_STEP_BUDGET);
}

/* http_feed_begin, up to HTTP_MAX_STEPS steps, http_feed_finish. Includers
 * that drive the steps otherwise (kernels without bpf_loop) call the three
 * parts themselves. */
HTTP_INLINE void http_feed_segment(struct http_feed *f, __u32 seq, __u32 payload_off,
				   __u32 payload_len)
{
	if (!http_feed_begin(f, seq, payload_off, payload_len))
		return;
	if (f->response) {
		HTTP_LOOP(HTTP_MAX_STEPS, http_step_response, f);
	} else {
		HTTP_LOOP(HTTP_MAX_STEPS, http_step_request, f);
	}
	http_feed_finish(f);
}

#endif /* HTTP_STATISTICS_HTTP_PARSER_H */

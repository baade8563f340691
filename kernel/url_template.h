/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A request's URL template as the kernel keeps it (kernel/http_parser.h
 * computes it, docs/design.md has the rules), and its text. Shared by the
 * parser, the BPF programs' maps and userspace, which names the ids the
 * kernel counts. Needs the __u8/__u32/__u64 types.
 */
#ifndef HTTP_STATISTICS_URL_TEMPLATE_H
#define HTTP_STATISTICS_URL_TEMPLATE_H

#define HTTP_TMPL_PATH 64 /* bytes of the line a template is made from */

/*
 * The URL template of a request line (see http_url_template): its id, and
 * what it is made of, for whoever has to name it. path[] holds the line's
 * bytes [from, to) with every byte of an identifier segment replaced by
 * HTTP_TMPL_ID and every other byte zero, so that no identifier, query or
 * other request's bytes go with it.
 */
#define HTTP_TMPL_NONE 0  /* no template: CONNECT, authority-form, malformed, off */
#define HTTP_TMPL_OTHER 1 /* past a process's bound (given by the includer) */
#define HTTP_TMPL_ID 1	  /* marks the bytes of an identifier segment in path[] */
#define HTTP_TMPL_DEPTH 4 /* path segments kept */

enum http_tmpl_flags {
	HT_ASTERISK = 1, /* "*" */
	HT_DEEP = 2,	 /* more segments, or a target longer than what is read: "/" then "**" */
	HT_ROOT = 4,	 /* absolute-form without a path: "/" */
};

struct http_url_tmpl {
	__u64 id;   /* hash of the template's text (never NONE or OTHER), or NONE */
	__u8 flags; /* enum http_tmpl_flags */
	__u8 from;  /* where the kept path starts in path[] (an offset in the line) */
	__u8 to;    /* where it ends */
	__u8 pad[5];
	__u8 path[HTTP_TMPL_PATH];
};

#ifndef __bpf__
/* The text of a template (userspace: names for the ids the kernel counts).
 * Writes at most size - 1 bytes and a NUL; returns the text's length. */
static inline __u32 http_tmpl_text(const struct http_url_tmpl *t, char *out, __u32 size)
{
	__u32 n = 0, i;
	const char *s;

#define HTTP_TMPL_PUT(ch)                                                                          \
	do {                                                                                       \
		if (n + 1 < size)                                                                  \
			out[n] = (char)(ch);                                                       \
		n++;                                                                               \
	} while (0)
	if (t->flags & HT_ASTERISK)
		HTTP_TMPL_PUT('*');
	for (i = t->from; i < t->to && i < HTTP_TMPL_PATH; i++) {
		if (t->path[i] != HTTP_TMPL_ID)
			HTTP_TMPL_PUT(t->path[i]);
		else if (i == t->from || t->path[i - 1] != HTTP_TMPL_ID)
			for (s = "{id}"; *s; s++)
				HTTP_TMPL_PUT(*s);
	}
	if (t->flags & HT_ROOT)
		HTTP_TMPL_PUT('/');
	if (t->flags & HT_DEEP)
		for (s = "/**"; *s; s++)
			HTTP_TMPL_PUT(*s);
#undef HTTP_TMPL_PUT
	if (size)
		out[n < size ? n : size - 1] = 0;
	return n;
}
#endif

#endif /* HTTP_STATISTICS_URL_TEMPLATE_H */

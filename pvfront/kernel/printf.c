/*
 * printf.c: a small vsnprintf for the console and for building strings.
 *
 * Output goes through a cursor that counts every character but stores only
 * what fits, so the return value is the untruncated length as in C. There
 * is no floating point: pvos is built with -mgeneral-regs-only.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pvos/printf.h>
#include <pvos/string.h>

struct out {
	char *buf;
	size_t size;
	size_t len;		/* characters produced, stored or not */
};

struct spec {
	bool left;		/* '-' */
	bool zero;		/* '0' */
	bool alt;		/* '#': 0x before %x */
	int width;
	int precision;		/* -1: none */
	int length;		/* 0, 'H' (hh), 'h', 'l', 'L' (ll), 'z' */
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void pad(struct out *o, char c, int n)
{
	while (n-- > 0)
		put(o, c);
}

static void put_str(struct out *o, const struct spec *sp, const char *s)
{
	size_t n;

	if (!s)
		s = "(null)";
	n = sp->precision >= 0 ? strnlen(s, (size_t)sp->precision) : strlen(s);
	if (!sp->left)
		pad(o, ' ', sp->width - (int)n);
	for (size_t i = 0; i < n; i++)
		put(o, s[i]);
	if (sp->left)
		pad(o, ' ', sp->width - (int)n);
}

static void put_num(struct out *o, const struct spec *sp, uint64_t v,
		    bool negative, unsigned int base, bool upper,
		    const char *prefix)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	int n = 0, fill;

	do {
		tmp[n++] = digits[v % base];
		v /= base;
	} while (v);
	fill = sp->width - n - (negative ? 1 : 0) - (int)strlen(prefix);
	if (!sp->left && !sp->zero)
		pad(o, ' ', fill);
	if (negative)
		put(o, '-');
	while (*prefix)
		put(o, *prefix++);
	if (!sp->left && sp->zero)
		pad(o, '0', fill);
	while (n)
		put(o, tmp[--n]);
	if (sp->left)
		pad(o, ' ', fill);
}

static uint64_t arg_unsigned(const struct spec *sp, va_list *ap)
{
	switch (sp->length) {
	case 'H': return (unsigned char)va_arg(*ap, unsigned int);
	case 'h': return (unsigned short)va_arg(*ap, unsigned int);
	case 'l': return va_arg(*ap, unsigned long);
	case 'L': return va_arg(*ap, unsigned long long);
	case 'z': return va_arg(*ap, size_t);
	default: return va_arg(*ap, unsigned int);
	}
}

static int64_t arg_signed(const struct spec *sp, va_list *ap)
{
	switch (sp->length) {
	case 'H': return (signed char)va_arg(*ap, int);
	case 'h': return (short)va_arg(*ap, int);
	case 'l': return va_arg(*ap, long);
	case 'L': return va_arg(*ap, long long);
	case 'z': return va_arg(*ap, long);	/* ssize_t */
	default: return va_arg(*ap, int);
	}
}

/* Parse flags, width, precision and length; returns the conversion. */
static const char *parse_spec(const char *f, struct spec *sp, va_list *ap)
{
	*sp = (struct spec){ .precision = -1 };
	for (;; f++) {
		if (*f == '-')
			sp->left = true;
		else if (*f == '0')
			sp->zero = true;
		else if (*f == '#')
			sp->alt = true;
		else
			break;
	}
	if (*f == '*') {
		sp->width = va_arg(*ap, int);
		if (sp->width < 0) {
			sp->left = true;
			sp->width = -sp->width;
		}
		f++;
	}
	for (; *f >= '0' && *f <= '9'; f++)
		sp->width = sp->width * 10 + (*f - '0');
	if (*f == '.' && f[1] == '*') {
		sp->precision = va_arg(*ap, int);
		if (sp->precision < 0)
			sp->precision = -1;
		f += 2;
	} else if (*f == '.') {
		sp->precision = 0;
		for (f++; *f >= '0' && *f <= '9'; f++)
			sp->precision = sp->precision * 10 + (*f - '0');
	}
	if (*f == 'h' || *f == 'l') {
		sp->length = *f++;
		if (*f == sp->length) {
			sp->length = sp->length == 'h' ? 'H' : 'L';
			f++;
		}
	} else if (*f == 'z') {
		sp->length = *f++;
	}
	return f;
}

static void convert(struct out *o, struct spec *sp, char conv, va_list *ap)
{
	int64_t sv;

	switch (conv) {
	case 'd':
	case 'i':
		sv = arg_signed(sp, ap);
		put_num(o, sp, sv < 0 ? -(uint64_t)sv : (uint64_t)sv, sv < 0,
			10, false, "");
		break;
	case 'u':
		put_num(o, sp, arg_unsigned(sp, ap), false, 10, false, "");
		break;
	case 'x':
	case 'X':
		put_num(o, sp, arg_unsigned(sp, ap), false, 16, conv == 'X',
			sp->alt ? (conv == 'X' ? "0X" : "0x") : "");
		break;
	case 'p':
		put_num(o, sp, (uintptr_t)va_arg(*ap, void *), false, 16, false,
			"0x");
		break;
	case 's':
		put_str(o, sp, va_arg(*ap, const char *));
		break;
	case 'c':
		if (!sp->left)
			pad(o, ' ', sp->width - 1);
		put(o, (char)va_arg(*ap, int));
		if (sp->left)
			pad(o, ' ', sp->width - 1);
		break;
	case '%':
		put(o, '%');
		break;
	default:
		/* Unknown conversion: show it rather than guess. */
		put(o, '%');
		put(o, conv);
		break;
	}
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { .buf = buf, .size = size };
	struct spec sp;
	va_list args;

	va_copy(args, ap);
	while (*fmt) {
		if (*fmt != '%') {
			put(&o, *fmt++);
			continue;
		}
		fmt = parse_spec(fmt + 1, &sp, &args);
		if (!*fmt)
			break;
		convert(&o, &sp, *fmt++, &args);
	}
	va_end(args);
	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return o.len > INT32_MAX ? INT32_MAX : (int)o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

/* The fk1 canonical encoding (docs/cache-keys.md) in one native pass.
 *
 * One walk over the value proves its types and writes the canonical bytes at the same time.
 * It encodes only the builtin types whose fk1 form is fixed: None, bool, int (any size), float,
 * str, bytes, bytearray, and exact list, tuple and dict. On anything else (a registered type, an
 * Enum, a subclass, a set, nesting at the depth limit, ...) it stops and returns None, and the
 * caller encodes the whole value with the Python path, so the bytes never differ from the
 * reference in flujo_tuning/_canonical.py.
 *
 * No Python code runs while a value is walked (exact builtin types only; the GIL is held), so the
 * borrowed references taken from lists and dicts stay valid. The hasher runs after the walk, on
 * a buffer owned by this call: a hasher that releases the GIL cannot see another call's bytes.
 * It declares Py_MOD_GIL_USED; on free-threaded builds flujo_tuning does not load it (see
 * docs/cache-keys.md).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define MAX_DEPTH 256
#define EXT_BIG_INT 1
#define EXT_SURROGATE_STR 2
#define EXT_DICT 3
#define STACK_BYTES 4096
#define RETAIN_LIMIT (1024 * 1024)
#define THREAD_KEY "flujo_tuning._fk1native.buffer"

/* Walk results: OK, or UNSUPPORTED (hand the value back), or ERROR (a Python exception is set). */
#define OK 0
#define UNSUPPORTED 1
#define ERROR -1

/* An output buffer: a stack array first, then either a bytearray (the thread's scratch buffer,
 * for keys) or PyMem memory (for bytes results and dict entries). */
typedef struct {
    char *data;
    Py_ssize_t len;
    Py_ssize_t cap;
    PyObject *bytearray; /* owned reference once the stack array overflowed into it */
    int heap;            /* data is PyMem memory */
    int use_bytearray;   /* overflow into the thread's scratch bytearray */
    char stack[STACK_BYTES];
} Out;

static PyObject *thread_key; /* interned THREAD_KEY */
static PyObject *str_hexdigest, *str_release;

static void out_init(Out *o, int use_bytearray) {
    o->data = o->stack;
    o->len = 0;
    o->cap = STACK_BYTES;
    o->bytearray = NULL;
    o->heap = 0;
    o->use_bytearray = use_bytearray;
}

static void out_free(Out *o) {
    if (o->heap) PyMem_Free(o->data);
    o->heap = 0;
}

/* The thread's scratch bytearray, lent to this call (removed from the thread dict while in use). */
static PyObject *take_thread_buffer(Py_ssize_t at_least) {
    PyObject *tdict = PyThreadState_GetDict();
    PyObject *buffer = NULL;
    if (tdict != NULL) {
        buffer = PyDict_GetItemWithError(tdict, thread_key);
        if (buffer != NULL) {
            Py_INCREF(buffer);
            if (PyDict_DelItem(tdict, thread_key) < 0) {
                Py_DECREF(buffer);
                return NULL;
            }
        } else if (PyErr_Occurred()) {
            return NULL;
        }
    }
    if (buffer != NULL && ((PyByteArrayObject *)buffer)->ob_exports > 0) Py_CLEAR(buffer);
    if (buffer == NULL) buffer = PyByteArray_FromStringAndSize(NULL, at_least);
    else if (PyByteArray_GET_SIZE(buffer) < at_least && PyByteArray_Resize(buffer, at_least) < 0) {
        Py_DECREF(buffer);
        return NULL;
    }
    return buffer;
}

static void give_back_thread_buffer(PyObject *buffer) {
    /* Kept for the next call unless it grew too large or someone still holds a view of it. */
    if (PyByteArray_GET_SIZE(buffer) <= RETAIN_LIMIT && ((PyByteArrayObject *)buffer)->ob_exports == 0) {
        PyObject *tdict = PyThreadState_GetDict();
        if (tdict != NULL && PyDict_SetItem(tdict, thread_key, buffer) < 0) PyErr_Clear();
    }
    Py_DECREF(buffer);
}

static int out_grow(Out *o, Py_ssize_t need) {
    if (need > PY_SSIZE_T_MAX / 2 - o->len) {
        PyErr_NoMemory();
        return ERROR;
    }
    Py_ssize_t cap = o->cap * 2;
    if (cap < o->len + need) cap = o->len + need;
    if (o->use_bytearray) {
        if (o->bytearray == NULL) {
            o->bytearray = take_thread_buffer(cap);
            if (o->bytearray == NULL) return ERROR;
            memcpy(PyByteArray_AS_STRING(o->bytearray), o->data, (size_t)o->len);
        } else if (PyByteArray_Resize(o->bytearray, cap) < 0) {
            return ERROR;
        }
        o->data = PyByteArray_AS_STRING(o->bytearray);
        o->cap = PyByteArray_GET_SIZE(o->bytearray);
        return OK;
    }
    char *data;
    if (o->heap) {
        data = PyMem_Realloc(o->data, (size_t)cap);
    } else {
        data = PyMem_Malloc((size_t)cap);
        if (data != NULL) memcpy(data, o->data, (size_t)o->len);
    }
    if (data == NULL) {
        PyErr_NoMemory();
        return ERROR;
    }
    o->data = data;
    o->cap = cap;
    o->heap = 1;
    return OK;
}

#define RESERVE(o, n) \
    if ((o)->len + (Py_ssize_t)(n) > (o)->cap && out_grow((o), (Py_ssize_t)(n)) < 0) return ERROR

static inline void put_byte(Out *o, unsigned char b) { o->data[o->len++] = (char)b; }

static inline void put_be(Out *o, uint64_t v, int nbytes) {
    for (int i = nbytes - 1; i >= 0; i--) put_byte(o, (unsigned char)(v >> (8 * i)));
}

static int write_raw(Out *o, const char *data, Py_ssize_t n) {
    RESERVE(o, n);
    memcpy(o->data + o->len, data, (size_t)n);
    o->len += n;
    return OK;
}

/* The 16-bit or 32-bit form of a length (the short forms are written by the callers). */
static inline void put_long_length(Out *o, Py_ssize_t n, unsigned char c16, unsigned char c32) {
    if (n < 0x10000) {
        put_byte(o, c16);
        put_be(o, (uint64_t)n, 2);
    } else {
        put_byte(o, c32);
        put_be(o, (uint64_t)n, 4);
    }
}

/* fixed (n < 16), 16-bit or 32-bit count: array and map headers */
static int write_count(Out *o, Py_ssize_t n, unsigned char fixed, unsigned char c16, unsigned char c32) {
    RESERVE(o, 5);
    if (n < 16) put_byte(o, (unsigned char)(fixed | n));
    else put_long_length(o, n, c16, c32);
    return OK;
}

/* 8-, 16- or 32-bit length then the bytes: str8/16/32 and bin8/16/32 */
static int write_sized(Out *o, const char *data, Py_ssize_t n, unsigned char c8, unsigned char c16,
                       unsigned char c32) {
    if ((uint64_t)n > 0xFFFFFFFFu) return UNSUPPORTED;
    RESERVE(o, 5 + n);
    if (n < 0x100) {
        put_byte(o, c8);
        put_byte(o, (unsigned char)n);
    } else {
        put_long_length(o, n, c16, c32);
    }
    memcpy(o->data + o->len, data, (size_t)n);
    o->len += n;
    return OK;
}

static int write_ext_header(Out *o, Py_ssize_t n, unsigned char code) {
    if ((uint64_t)n > 0xFFFFFFFFu) return UNSUPPORTED;
    RESERVE(o, 6);
    switch (n) {
        case 1: put_byte(o, 0xD4); break;
        case 2: put_byte(o, 0xD5); break;
        case 4: put_byte(o, 0xD6); break;
        case 8: put_byte(o, 0xD7); break;
        case 16: put_byte(o, 0xD8); break;
        default:
            if (n < 0x100) {
                put_byte(o, 0xC7);
                put_byte(o, (unsigned char)n);
            } else {
                put_long_length(o, n, 0xC8, 0xC9);
            }
    }
    put_byte(o, code);
    return OK;
}

static int write_str(Out *o, PyObject *s) {
    Py_ssize_t n;
    const char *utf8;
    if (PyUnicode_IS_COMPACT_ASCII(s)) {
        utf8 = (const char *)PyUnicode_DATA(s);
        n = PyUnicode_GET_LENGTH(s);
    } else {
        utf8 = PyUnicode_AsUTF8AndSize(s, &n);
        if (utf8 == NULL) {
            if (!PyErr_ExceptionMatches(PyExc_UnicodeEncodeError)) return ERROR;
            PyErr_Clear(); /* lone surrogates: valid str, not valid UTF-8 */
            PyObject *raw = PyUnicode_AsEncodedString(s, "utf-8", "surrogatepass");
            if (raw == NULL) return ERROR;
            int rc = write_ext_header(o, PyBytes_GET_SIZE(raw), EXT_SURROGATE_STR);
            if (rc == OK) rc = write_raw(o, PyBytes_AS_STRING(raw), PyBytes_GET_SIZE(raw));
            Py_DECREF(raw);
            return rc;
        }
    }
    if (n < 32) {
        RESERVE(o, 1 + n);
        put_byte(o, (unsigned char)(0xA0 | n));
        memcpy(o->data + o->len, utf8, (size_t)n);
        o->len += n;
        return OK;
    }
    return write_sized(o, utf8, n, 0xD9, 0xDA, 0xDB);
}

static int write_big_int(Out *o, PyObject *n) {
    /* n.to_bytes((n.bit_length() + 8) // 8, "big", signed=True), as the reference does */
    PyObject *bits = PyObject_CallMethod(n, "bit_length", NULL);
    if (bits == NULL) return ERROR;
    Py_ssize_t nbits = PyLong_AsSsize_t(bits);
    Py_DECREF(bits);
    if (nbits == -1 && PyErr_Occurred()) return ERROR;
    PyObject *method = PyObject_GetAttrString(n, "to_bytes");
    if (method == NULL) return ERROR;
    PyObject *args = Py_BuildValue("(ns)", (nbits + 8) / 8, "big");
    PyObject *kwargs = args == NULL ? NULL : Py_BuildValue("{sO}", "signed", Py_True);
    PyObject *raw = kwargs == NULL ? NULL : PyObject_Call(method, args, kwargs);
    Py_XDECREF(kwargs);
    Py_XDECREF(args);
    Py_DECREF(method);
    if (raw == NULL) return ERROR;
    int rc = write_ext_header(o, PyBytes_GET_SIZE(raw), EXT_BIG_INT);
    if (rc == OK) rc = write_raw(o, PyBytes_AS_STRING(raw), PyBytes_GET_SIZE(raw));
    Py_DECREF(raw);
    return rc;
}

static int write_int(Out *o, PyObject *obj) {
    int overflow;
    long long v = PyLong_AsLongLongAndOverflow(obj, &overflow);
    if (v == -1 && PyErr_Occurred()) return ERROR;
    RESERVE(o, 9);
    if (overflow == 0) {
        if (v >= 0 && v < 128) {
            put_byte(o, (unsigned char)v);
        } else if (v >= -32 && v < 0) {
            put_byte(o, (unsigned char)(v & 0xFF));
        } else if (v > 0) {
            uint64_t u = (uint64_t)v;
            if (u < 0x100) { put_byte(o, 0xCC); put_be(o, u, 1); }
            else if (u < 0x10000) { put_byte(o, 0xCD); put_be(o, u, 2); }
            else if (u < 0x100000000ULL) { put_byte(o, 0xCE); put_be(o, u, 4); }
            else { put_byte(o, 0xCF); put_be(o, u, 8); }
        } else {
            uint64_t u = (uint64_t)v;
            if (v >= -0x80) { put_byte(o, 0xD0); put_be(o, u, 1); }
            else if (v >= -0x8000) { put_byte(o, 0xD1); put_be(o, u, 2); }
            else if (v >= -0x80000000LL) { put_byte(o, 0xD2); put_be(o, u, 4); }
            else { put_byte(o, 0xD3); put_be(o, u, 8); }
        }
        return OK;
    }
    if (overflow > 0) {
        unsigned long long u = PyLong_AsUnsignedLongLong(obj);
        if (!(u == (unsigned long long)-1 && PyErr_Occurred())) {
            put_byte(o, 0xCF);
            put_be(o, (uint64_t)u, 8);
            return OK;
        }
        if (!PyErr_ExceptionMatches(PyExc_OverflowError)) return ERROR;
        PyErr_Clear();
    }
    return write_big_int(o, obj);
}

static int write_float(Out *o, PyObject *obj) {
    double d = PyFloat_AS_DOUBLE(obj);
    uint64_t bits;
    memcpy(&bits, &d, sizeof bits);
    RESERVE(o, 9);
    put_byte(o, 0xCB);
    put_be(o, bits, 8);
    return OK;
}

static int encode(Out *o, PyObject *obj, int depth);

/* Insertion sort for the few keys of a typical dict; qsort above that. */
typedef struct {
    PyObject *key;
    PyObject *value;
} Pair;

/* Code point order, as sorted() orders str keys. For two ASCII strings that is byte order;
 * otherwise PyUnicode_Compare (exact str: runs no Python code, cannot fail). */
static inline int compare_keys(PyObject *a, PyObject *b) {
    if (PyUnicode_IS_COMPACT_ASCII(a) && PyUnicode_IS_COMPACT_ASCII(b)) {
        Py_ssize_t na = PyUnicode_GET_LENGTH(a), nb = PyUnicode_GET_LENGTH(b);
        int c = memcmp(PyUnicode_DATA(a), PyUnicode_DATA(b), (size_t)(na < nb ? na : nb));
        return c != 0 ? c : (na > nb) - (na < nb);
    }
    return PyUnicode_Compare(a, b);
}

static int compare_pairs(const void *a, const void *b) {
    return compare_keys(((const Pair *)a)->key, ((const Pair *)b)->key);
}

static void sort_pairs(Pair *pairs, Py_ssize_t n) {
    if (n > 16) {
        qsort(pairs, (size_t)n, sizeof(Pair), compare_pairs);
        return;
    }
    for (Py_ssize_t i = 1; i < n; i++) {
        Pair item = pairs[i];
        Py_ssize_t j = i - 1;
        while (j >= 0 && compare_keys(pairs[j].key, item.key) > 0) {
            pairs[j + 1] = pairs[j];
            j--;
        }
        pairs[j + 1] = item;
    }
}

typedef struct {
    char *data;
    Py_ssize_t len;
} Entry;

static int compare_entries(const void *a, const void *b) {
    const Entry *x = a, *y = b;
    Py_ssize_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->data, y->data, (size_t)n);
    if (c != 0) return c;
    return (x->len > y->len) - (x->len < y->len);
}

/* A dict with a non-str key: ext 3 over its entries (key bytes + value bytes), sorted bytewise. */
static int write_ext_dict(Out *o, PyObject *obj, int depth) {
    Py_ssize_t n = PyDict_GET_SIZE(obj), pos = 0, i = 0, total = 0;
    Entry *entries = PyMem_Calloc((size_t)(n ? n : 1), sizeof(Entry));
    if (entries == NULL) {
        PyErr_NoMemory();
        return ERROR;
    }
    PyObject *key, *value;
    int rc = OK;
    while (rc == OK && PyDict_Next(obj, &pos, &key, &value)) {
        Out *sub = PyMem_Malloc(sizeof(Out));
        if (sub == NULL) {
            PyErr_NoMemory();
            rc = ERROR;
            break;
        }
        out_init(sub, 0);
        rc = encode(sub, key, depth);
        if (rc == OK) rc = encode(sub, value, depth);
        if (rc == OK && !sub->heap) rc = out_grow(sub, sub->cap); /* move off the stack array */
        if (rc == OK) {
            entries[i].data = sub->data;
            entries[i].len = sub->len;
            total += sub->len;
            i++;
        } else {
            out_free(sub);
        }
        PyMem_Free(sub);
    }
    if (rc == OK) {
        qsort(entries, (size_t)i, sizeof(Entry), compare_entries);
        rc = write_ext_header(o, total, EXT_DICT);
        for (Py_ssize_t k = 0; rc == OK && k < i; k++) rc = write_raw(o, entries[k].data, entries[k].len);
    }
    for (Py_ssize_t k = 0; k < i; k++) PyMem_Free(entries[k].data);
    PyMem_Free(entries);
    return rc;
}

static int write_dict(Out *o, PyObject *obj, int depth) {
    Py_ssize_t n = PyDict_GET_SIZE(obj), pos = 0, i = 0;
    Pair small[16];
    Pair *pairs = n <= 16 ? small : PyMem_Malloc((size_t)n * sizeof(Pair));
    if (pairs == NULL) {
        PyErr_NoMemory();
        return ERROR;
    }
    PyObject *key, *value;
    int rc = OK;
    while (PyDict_Next(obj, &pos, &key, &value)) {
        if (!PyUnicode_CheckExact(key)) {
            rc = UNSUPPORTED; /* not all keys are str: the ext form */
            break;
        }
        pairs[i].key = key;
        pairs[i].value = value;
        i++;
    }
    if (rc == UNSUPPORTED) {
        rc = write_ext_dict(o, obj, depth);
    } else {
        sort_pairs(pairs, i);
        rc = write_count(o, i, 0x80, 0xDE, 0xDF);
        for (Py_ssize_t k = 0; rc == OK && k < i; k++) {
            rc = write_str(o, pairs[k].key);
            if (rc == OK) rc = encode(o, pairs[k].value, depth);
        }
    }
    if (pairs != small) PyMem_Free(pairs);
    return rc;
}

static int write_sequence(Out *o, PyObject **items, Py_ssize_t n, int depth) {
    int rc = write_count(o, n, 0x90, 0xDC, 0xDD);
    for (Py_ssize_t i = 0; rc == OK && i < n; i++) rc = encode(o, items[i], depth);
    return rc;
}

/* depth: the nesting level of obj, as in the reference (containers at MAX_DEPTH are refused
 * there, and so is a bytearray, which the reference guards like a container). */
static int encode(Out *o, PyObject *obj, int depth) {
    PyTypeObject *t = Py_TYPE(obj);
    if (t == &PyUnicode_Type) return write_str(o, obj);
    if (t == &PyLong_Type) return write_int(o, obj);
    if (obj == Py_None || obj == Py_True || obj == Py_False) {
        RESERVE(o, 1);
        put_byte(o, obj == Py_None ? 0xC0 : obj == Py_True ? 0xC3 : 0xC2);
        return OK;
    }
    if (t == &PyFloat_Type) return write_float(o, obj);
    if (t == &PyDict_Type || t == &PyList_Type || t == &PyTuple_Type) {
        if (depth >= MAX_DEPTH) return UNSUPPORTED; /* the reference raises its own error */
        if (t == &PyDict_Type) return write_dict(o, obj, depth + 1);
        if (t == &PyList_Type) return write_sequence(o, PySequence_Fast_ITEMS(obj), PyList_GET_SIZE(obj), depth + 1);
        return write_sequence(o, PySequence_Fast_ITEMS(obj), PyTuple_GET_SIZE(obj), depth + 1);
    }
    if (t == &PyBytes_Type) return write_sized(o, PyBytes_AS_STRING(obj), PyBytes_GET_SIZE(obj), 0xC4, 0xC5, 0xC6);
    if (t == &PyByteArray_Type) {
        if (depth >= MAX_DEPTH) return UNSUPPORTED;
        return write_sized(o, PyByteArray_AS_STRING(obj), PyByteArray_GET_SIZE(obj), 0xC4, 0xC5, 0xC6);
    }
    return UNSUPPORTED;
}

/* encode(obj) -> bytes | None */
static PyObject *py_encode(PyObject *module, PyObject *obj) {
    Out o; /* about 4 KiB on the C stack */
    out_init(&o, 0);
    int rc = encode(&o, obj, 0);
    PyObject *result = NULL;
    if (rc == OK) result = PyBytes_FromStringAndSize(o.data, o.len);
    else if (rc == UNSUPPORTED) result = Py_NewRef(Py_None);
    out_free(&o);
    return result;
}

/* new_hash(<the bytes written>). Bytes that fit the stack array are handed over as a bytes object
 * (cheaper to make than a memoryview: measured); bytes in the thread's scratch bytearray are hashed
 * in place, through a memoryview of it. */
static PyObject *hash_written(Out *o, PyObject *new_hash) {
    if (o->bytearray == NULL) {
        PyObject *data = PyBytes_FromStringAndSize(o->data, o->len);
        if (data == NULL) return NULL;
        PyObject *hash = PyObject_CallOneArg(new_hash, data);
        Py_DECREF(data);
        return hash;
    }
    /* A view of the bytearray itself: a hasher that kept an export would keep the bytearray alive
     * and unresizable, and such a buffer is not reused (give_back_thread_buffer). */
    PyObject *whole = PyMemoryView_FromObject(o->bytearray);
    if (whole == NULL) return NULL;
    PyObject *view = PySequence_GetSlice(whole, 0, o->len);
    Py_DECREF(whole);
    if (view == NULL) return NULL;
    PyObject *hash = PyObject_CallOneArg(new_hash, view);
    PyObject *released = PyObject_CallMethodNoArgs(view, str_release);
    if (released == NULL) PyErr_Clear(); /* still exported by the hasher: the buffer is dropped */
    Py_XDECREF(released);
    Py_DECREF(view);
    return hash;
}

/* prefix + new_hash(<canonical bytes of obj>).hexdigest(); Py_None where obj holds a type this
 * pass does not encode; NULL with an exception set on errors. */
static PyObject *make_key(PyObject *obj, PyObject *new_hash, PyObject *prefix) {
    if (!PyUnicode_Check(prefix)) {
        PyErr_SetString(PyExc_TypeError, "key(): prefix must be a str");
        return NULL;
    }
    Out o; /* about 4 KiB on the C stack */
    out_init(&o, 1);
    int rc = encode(&o, obj, 0);
    PyObject *result = NULL;
    if (rc == OK) {
        PyObject *hash = hash_written(&o, new_hash);
        PyObject *hex = hash == NULL ? NULL : PyObject_CallMethodNoArgs(hash, str_hexdigest);
        Py_XDECREF(hash);
        if (hex != NULL) {
            if (PyUnicode_Check(hex)) result = PyUnicode_Concat(prefix, hex);
            else PyErr_SetString(PyExc_TypeError, "key(): hexdigest() did not return a str");
            Py_DECREF(hex);
        }
    } else if (rc == UNSUPPORTED) {
        result = Py_NewRef(Py_None);
    }
    if (o.bytearray != NULL) give_back_thread_buffer(o.bytearray);
    return result;
}

/* key(obj, new_hash, prefix) -> str | None */
static PyObject *py_key(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "key(obj, new_hash, prefix) takes 3 arguments");
        return NULL;
    }
    return make_key(args[0], args[1], args[2]);
}

/* key_or(new_hash, prefix, fallback, obj) -> str: the key, or fallback(obj) where this pass does
 * not encode obj. The object comes last so that functools.partial(key_or, new_hash, prefix,
 * fallback) makes keys with no Python frame in between. */
static PyObject *py_key_or(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 4) {
        PyErr_SetString(PyExc_TypeError, "key_or(new_hash, prefix, fallback, obj) takes 4 arguments");
        return NULL;
    }
    PyObject *result = make_key(args[3], args[0], args[1]);
    if (result == Py_None) {
        Py_DECREF(result);
        result = PyObject_CallOneArg(args[2], args[3]);
    }
    return result;
}

static PyMethodDef methods[] = {
    {"encode", (PyCFunction)py_encode, METH_O,
     "encode(obj) -> bytes | None: the canonical fk1 bytes, or None where the value holds a type\n"
     "this native pass does not encode (the caller then uses the Python path)."},
    {"key", (PyCFunction)(void (*)(void))py_key, METH_FASTCALL,
     "key(obj, new_hash, prefix) -> str | None: prefix + new_hash(canonical bytes).hexdigest(),\n"
     "or None where the value holds a type this native pass does not encode."},
    {"key_or", (PyCFunction)(void (*)(void))py_key_or, METH_FASTCALL,
     "key_or(new_hash, prefix, fallback, obj) -> str: key(obj, new_hash, prefix), or fallback(obj)\n"
     "where the value holds a type this native pass does not encode."},
    {NULL, NULL, 0, NULL},
};

static int module_exec(PyObject *module) {
    if (thread_key == NULL) thread_key = PyUnicode_InternFromString(THREAD_KEY);
    if (str_hexdigest == NULL) str_hexdigest = PyUnicode_InternFromString("hexdigest");
    if (str_release == NULL) str_release = PyUnicode_InternFromString("release");
    if (thread_key == NULL || str_hexdigest == NULL || str_release == NULL) return -1;
    /* Constants shared with the Python reference (cache_keys/reference.py): exported so that a
     * test holds the two equal. */
    if (PyModule_AddIntConstant(module, "MAX_DEPTH", MAX_DEPTH) < 0 ||
        PyModule_AddIntConstant(module, "EXT_BIG_INT", EXT_BIG_INT) < 0 ||
        PyModule_AddIntConstant(module, "EXT_SURROGATE_STR", EXT_SURROGATE_STR) < 0 ||
        PyModule_AddIntConstant(module, "EXT_DICT", EXT_DICT) < 0 ||
        PyModule_AddIntConstant(module, "SCHEME_VERSION", 1) < 0 ||
        /* keys.NATIVE_API: raised whenever the functions above change */
        PyModule_AddIntConstant(module, "API_VERSION", 2) < 0) {
        return -1;
    }
    return 0;
}

/* The walk relies on the GIL (borrowed references from lists and dicts, see the top of this file),
 * so the module says so: a free-threaded build would turn the GIL back on for the whole process on
 * import, and flujo_tuning never imports it there (keys._native_status). Its state is process-wide
 * statics, so one interpreter only. */
static PyModuleDef_Slot module_slots[] = {
    {Py_mod_exec, (void *)module_exec},
#ifdef Py_mod_multiple_interpreters
    {Py_mod_multiple_interpreters, Py_MOD_MULTIPLE_INTERPRETERS_NOT_SUPPORTED},
#endif
#ifdef Py_mod_gil
    {Py_mod_gil, Py_MOD_GIL_USED},
#endif
    {0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "flujo_tuning.cache_keys._fk1native",
    "The fk1 canonical encoding of builtin values in one native pass (see _fk1native.c).", 0, methods,
    module_slots, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__fk1native(void) { return PyModuleDef_Init(&module_def); }

/* Runs the conformance vectors (the JSON files in conformance/vectors) through the C API and prints
 * "N passed, N failed". Exits 0 only when every step passed and at least one ran.
 *
 *   cc vectors.c -I../include -L<libdir> -ltimefence -lcjson -o vectors
 *   ./vectors ../../../conformance/vectors/NAME.json ...
 */
#include "timefence.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int passed = 0, failed = 0;

static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = malloc((size_t)size + 1);
    if (text && fread(text, 1, (size_t)size, f) != (size_t)size) {
        free(text);
        text = NULL;
    }
    fclose(f);
    if (text) text[size] = '\0';
    return text;
}

static int hex_to_bytes(const char *hex, uint8_t *out, size_t n) {
    if (strlen(hex) != 2 * n) return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned int byte;
        if (sscanf(hex + 2 * i, "%2x", &byte) != 1) return 0;
        out[i] = (uint8_t)byte;
    }
    return 1;
}

/* Whether the JSON value `expected` (a number or null) equals an optional integer. */
static int same_optional(const cJSON *expected, bool has, int64_t value) {
    if (cJSON_IsNull(expected)) return !has;
    return has && cJSON_IsNumber(expected) && (int64_t)expected->valuedouble == value;
}

static int same_string(const cJSON *expected, const char *value) {
    if (cJSON_IsNull(expected)) return value == NULL;
    return value != NULL && cJSON_IsString(expected) && strcmp(expected->valuestring, value) == 0;
}

static void report(const char *vector, int index, int ok, const char *what) {
    if (ok) {
        passed++;
    } else {
        failed++;
        printf("FAIL %s step %d: %s\n", vector, index, what);
    }
}

/* The error code after a failed call, compared with the expected one. */
static int error_matches(const cJSON *expect, TimefenceStatus status) {
    const cJSON *error = cJSON_GetObjectItemCaseSensitive(expect, "error");
    if (!error) return 0;
    return status == TIMEFENCE_STATUS_ERROR && same_string(error, timefence_last_error_code());
}

static void run_vector(const char *path) {
    char *text = read_file(path);
    cJSON *vector = text ? cJSON_Parse(text) : NULL;
    free(text);
    if (!vector) {
        report(path, 0, 0, "cannot read the vector");
        return;
    }
    const char *name = cJSON_GetObjectItemCaseSensitive(vector, "name")->valuestring;
    const cJSON *keys_json = cJSON_GetObjectItemCaseSensitive(vector, "trusted_keys");
    const cJSON *files = cJSON_GetObjectItemCaseSensitive(vector, "files");
    const cJSON *steps = cJSON_GetObjectItemCaseSensitive(vector, "steps");
    uint8_t secret[32];
    hex_to_bytes(cJSON_GetObjectItemCaseSensitive(vector, "ledger_secret")->valuestring, secret, 32);

    int key_count = cJSON_GetArraySize(keys_json);
    const char **keys = calloc((size_t)key_count + 1, sizeof(char *));
    for (int i = 0; i < key_count; i++) keys[i] = cJSON_GetArrayItem(keys_json, i)->valuestring;
    TimefenceVerifier *verifier = NULL;
    if (timefence_verifier_new(keys, (size_t)key_count, &verifier) != TIMEFENCE_STATUS_OK) {
        report(name, 0, 0, "the trusted keys were refused");
        free(keys);
        cJSON_Delete(vector);
        return;
    }
    free(keys);

    TimefenceBytes ledger = {NULL, 0};
    int index = 0;
    const cJSON *step;
    cJSON_ArrayForEach(step, steps) {
        const char *action = cJSON_GetObjectItemCaseSensitive(step, "action")->valuestring;
        int file = cJSON_GetObjectItemCaseSensitive(step, "file")->valueint;
        const cJSON *expect = cJSON_GetObjectItemCaseSensitive(step, "expect");
        const cJSON *now_json = cJSON_GetObjectItemCaseSensitive(step, "now_unix");
        int64_t now = now_json ? (int64_t)now_json->valuedouble : 0;
        TimefenceLicense *license = NULL;
        TimefenceStatus status =
            timefence_verify(verifier, cJSON_GetArrayItem(files, file)->valuestring, &license);
        if (status != TIMEFENCE_STATUS_OK) {
            report(name, index, error_matches(expect, status), "verify");
        } else if (strcmp(action, "verify") == 0) {
            char *described = timefence_license_describe(license);
            cJSON *payload = cJSON_Parse(described);
            int ok = payload != NULL &&
                     cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(expect, "ok")) &&
                     (int64_t)cJSON_GetObjectItemCaseSensitive(payload, "serial")->valuedouble ==
                         (int64_t)cJSON_GetObjectItemCaseSensitive(expect, "serial")->valuedouble;
            const cJSON *uid = cJSON_GetObjectItemCaseSensitive(payload, "uid");
            ok = ok && same_string(cJSON_GetObjectItemCaseSensitive(expect, "uid"),
                                   uid ? uid->valuestring : NULL);
            report(name, index, ok, "verify: the payload differs");
            cJSON_Delete(payload);
            timefence_string_free(described);
        } else if (strcmp(action, "check") == 0) {
            TimefenceVerdict verdict;
            TimefenceBytes next;
            status = timefence_check(license, now, ledger.data, ledger.len, secret, 32, &verdict, &next);
            if (status != TIMEFENCE_STATUS_OK) {
                report(name, index, error_matches(expect, status), "check: the error differs");
            } else {
                int ok = cJSON_GetObjectItemCaseSensitive(expect, "allowed") != NULL &&
                         cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(expect, "allowed")) == verdict.allowed &&
                         same_string(cJSON_GetObjectItemCaseSensitive(expect, "reason"), verdict.reason) &&
                         same_optional(cJSON_GetObjectItemCaseSensitive(expect, "closes_at"),
                                       verdict.has_closes_at, verdict.closes_at) &&
                         same_optional(cJSON_GetObjectItemCaseSensitive(expect, "remaining_seconds"),
                                       verdict.has_remaining_seconds, verdict.remaining_seconds) &&
                         same_optional(cJSON_GetObjectItemCaseSensitive(expect, "next_opening"),
                                       verdict.has_next_opening, verdict.next_opening);
                report(name, index, ok, "check: the verdict differs");
                timefence_bytes_free(ledger);
                ledger = next;
            }
        } else if (strcmp(action, "record_use") == 0) {
            int64_t seconds = (int64_t)cJSON_GetObjectItemCaseSensitive(step, "seconds")->valuedouble;
            TimefenceBytes next;
            status = timefence_record_use(license, now, seconds, ledger.data, ledger.len, secret, 32, &next);
            if (status != TIMEFENCE_STATUS_OK) {
                report(name, index, error_matches(expect, status), "record_use: the error differs");
            } else {
                report(name, index, cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(expect, "ok")),
                       "record_use: expected an error");
                timefence_bytes_free(ledger);
                ledger = next;
            }
        } else {
            report(name, index, 0, "unknown action");
        }
        timefence_license_free(license);
        index++;
    }
    timefence_bytes_free(ledger);
    timefence_verifier_free(verifier);
    cJSON_Delete(vector);
}

/* Bad input gets a typed error, never a crash. */
static void robustness(void) {
    const char *not_keys[] = {"not a key"};
    TimefenceVerifier *verifier = NULL;
    report("robustness", 0,
           timefence_verifier_new(not_keys, 1, &verifier) == TIMEFENCE_STATUS_ERROR &&
               strcmp(timefence_last_error_code(), "BadKey") == 0,
           "a bad key is BadKey");
    report("robustness", 1, timefence_verifier_new(NULL, 0, &verifier) == TIMEFENCE_STATUS_OK,
           "no keys at all is a verifier that trusts nothing");
    TimefenceLicense *license = NULL;
    report("robustness", 2,
           timefence_verify(verifier, NULL, &license) == TIMEFENCE_STATUS_ERROR &&
               strcmp(timefence_last_error_code(), "BadInput") == 0,
           "NULL text is BadInput");
    report("robustness", 3,
           timefence_verify(verifier, "\xff\xfe", &license) == TIMEFENCE_STATUS_ERROR &&
               strcmp(timefence_last_error_code(), "BadInput") == 0,
           "text that is not UTF-8 is BadInput");
    report("robustness", 4,
           timefence_verify(verifier, "hello", &license) == TIMEFENCE_STATUS_ERROR &&
               strcmp(timefence_last_error_code(), "BadArmor") == 0 &&
               timefence_last_error_message() != NULL,
           "text that is not a license is BadArmor, with words");
    timefence_verifier_free(verifier);
}

static int failed_with(TimefenceStatus status, const char *code) {
    return status == TIMEFENCE_STATUS_ERROR && strcmp(timefence_last_error_code(), code) == 0;
}

/* The edges a C caller can reach with the first file of a vector whose first step is an
 * allowed check: a secret of the wrong length, instants outside 1970-2100, and the witness
 * carried beside the ledger. */
static void edges(const char *path) {
    char *text = read_file(path);
    cJSON *vector = text ? cJSON_Parse(text) : NULL;
    free(text);
    if (!vector) {
        report(path, 0, 0, "cannot read the vector");
        return;
    }
    const char *key = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(vector, "trusted_keys"), 0)->valuestring;
    const char *file = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(vector, "files"), 0)->valuestring;
    const cJSON *first = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(vector, "steps"), 0);
    int64_t now = (int64_t)cJSON_GetObjectItemCaseSensitive(first, "now_unix")->valuedouble;
    uint8_t secret[32];
    hex_to_bytes(cJSON_GetObjectItemCaseSensitive(vector, "ledger_secret")->valuestring, secret, 32);
    TimefenceVerifier *verifier = NULL;
    TimefenceLicense *license = NULL;
    timefence_verifier_new(&key, 1, &verifier);
    timefence_verify(verifier, file, &license);
    TimefenceVerdict verdict;
    TimefenceBytes l1 = {NULL, 0}, w1 = {NULL, 0}, l2 = {NULL, 0}, w2 = {NULL, 0}, l3 = {NULL, 0}, w3 = {NULL, 0};
    TimefenceBytes spare = {NULL, 0}, spare_w = {NULL, 0};
    report("edges", 0, failed_with(timefence_check(license, now, NULL, 0, secret, 31, &verdict, &l1), "BadInput"),
           "a 31-byte secret is BadInput");
    report("edges", 1, failed_with(timefence_check(license, 8210266876799LL, NULL, 0, secret, 32, &verdict, &l1), "BadInstant"),
           "an instant past 2100 is BadInstant");
    report("edges", 2, failed_with(timefence_check(license, -1, NULL, 0, secret, 32, &verdict, &l1), "BadInstant"),
           "an instant before 1970 is BadInstant");
    report("edges", 3, failed_with(timefence_check(license, now * 1000, NULL, 0, secret, 32, &verdict, &l1), "BadInstant"),
           "a clock read in milliseconds is BadInstant");
    report("edges", 4, failed_with(timefence_record_use(license, now, 60, NULL, 0, NULL, 32, &l1), "BadInput"),
           "a NULL secret is BadInput");
    int ok = timefence_check_witnessed(license, now, NULL, 0, NULL, 0, secret, 32, &verdict, &l1, &w1) == TIMEFENCE_STATUS_OK &&
             verdict.allowed && w1.len > 0 &&
             timefence_check_witnessed(license, now + 60, l1.data, l1.len, w1.data, w1.len, secret, 32, &verdict, &l2, &w2) == TIMEFENCE_STATUS_OK &&
             timefence_record_use_witnessed(license, now + 120, 60, l2.data, l2.len, w2.data, w2.len, secret, 32, &l3, &w3) == TIMEFENCE_STATUS_OK;
    report("edges", 5, ok, "the ledger and its witness, kept together, go on");
    report("edges", 6,
           failed_with(timefence_check_witnessed(license, now + 180, l1.data, l1.len, w3.data, w3.len, secret, 32, &verdict, &spare, &spare_w), "LedgerDisagrees"),
           "a ledger put back from an older copy is LedgerDisagrees");
    report("edges", 7,
           failed_with(timefence_check_witnessed(license, now + 180, NULL, 0, w3.data, w3.len, secret, 32, &verdict, &spare, &spare_w), "LedgerMissing"),
           "a lost ledger is LedgerMissing");
    report("edges", 8,
           failed_with(timefence_check_witnessed(license, now + 180, l3.data, l3.len, NULL, 0, secret, 32, &verdict, &spare, &spare_w), "WitnessMissing"),
           "a lost witness is WitnessMissing");
    timefence_bytes_free(l1); timefence_bytes_free(w1); timefence_bytes_free(l2);
    timefence_bytes_free(w2); timefence_bytes_free(l3); timefence_bytes_free(w3);
    timefence_license_free(license);
    timefence_verifier_free(verifier);
    cJSON_Delete(vector);
}

int main(int argc, char **argv) {
    if (timefence_abi_version() != 2) {
        printf("ABI version %u, expected 2\n", timefence_abi_version());
        return 1;
    }
    printf("tzdata %s\n", timefence_tzdata_version());
    for (int i = 1; i < argc; i++) {
        run_vector(argv[i]);
        if (strstr(argv[i], "daily-limit-spent")) edges(argv[i]);
    }
    robustness();
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 && passed > 0 ? 0 : 1;
}

/* May I run now? may_i_run VENDOR_KEY LICENSE NOW (the ledger kept in memory, for brevity) */
#include "timefence.h"
#include <stdio.h>
#include <stdlib.h>

static char *slurp(const char *path) {
    char *text = calloc(1, 65536);
    FILE *f = fopen(path, "rb");
    if (f && text) text[fread(text, 1, 65535, f)] = '\0';
    if (f) fclose(f);
    return text;
}

int main(int argc, char **argv) {
    if (argc < 4) return 2;
    const char *keys[] = { slurp(argv[1]) };
    uint8_t secret[32] = { 0 };  /* use this installation's own 32 random bytes */
    TimefenceVerifier *verifier = NULL;
    TimefenceLicense *license = NULL;
    TimefenceVerdict verdict;
    TimefenceBytes ledger;
    if (timefence_verifier_new(keys, 1, &verifier) != TIMEFENCE_STATUS_OK ||
        timefence_verify(verifier, slurp(argv[2]), &license) != TIMEFENCE_STATUS_OK ||
        timefence_check(license, atoll(argv[3]), NULL, 0, secret, 32, &verdict, &ledger) != TIMEFENCE_STATUS_OK) {
        fprintf(stderr, "refused: %s: %s\n", timefence_last_error_code(), timefence_last_error_message());
        return 1;
    }
    if (verdict.allowed) printf("yes, until %lld\n", (long long)verdict.closes_at);
    else printf("not now: %s\n", verdict.reason);
    timefence_bytes_free(ledger);
    timefence_license_free(license);
    timefence_verifier_free(verifier);
    return 0;
}

#include <openssl/evp.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/hmac.h>
#include <openssl/crypto.h>
// EVP_EC_gen() is a macro over the variadic EVP_PKEY_Q_keygen: not importable.
static inline EVP_PKEY *cossl_ec_p256_gen(void) { return EVP_EC_gen("P-256"); }

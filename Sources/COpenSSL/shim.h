#include <openssl/evp.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <openssl/hmac.h>
#include <openssl/x509.h>
#include <openssl/crypto.h>
// EVP_EC_gen() and EVP_RSA_gen() are macros over the variadic EVP_PKEY_Q_keygen: not importable.
static inline EVP_PKEY *cossl_ec_p256_gen(void) { return EVP_EC_gen("P-256"); }
static inline EVP_PKEY *cossl_ed25519_gen(void) { return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"); }
static inline EVP_PKEY *cossl_rsa_gen(unsigned int bits) { return EVP_RSA_gen(bits); }
#include <openssl/core_names.h>
// EVP_MAC's parameters are an array of C structs naming the digest: built here, not in Swift.
// Returns a context ready for EVP_MAC_update, or NULL when OpenSSL cannot provide HMAC-SHA256.
static inline EVP_MAC_CTX *cossl_hmac_sha256_new(const unsigned char *key, size_t key_length) {
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    if (mac == NULL) return NULL;
    EVP_MAC_CTX *context = EVP_MAC_CTX_new(mac);
    EVP_MAC_free(mac);
    if (context == NULL) return NULL;
    char digest[] = "SHA256";
    OSSL_PARAM parameters[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_end(),
    };
    if (EVP_MAC_init(context, key, key_length, parameters) != 1) {
        EVP_MAC_CTX_free(context);
        return NULL;
    }
    return context;
}

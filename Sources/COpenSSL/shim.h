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

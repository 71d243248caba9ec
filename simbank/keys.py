"""Development-only SM2 keys of the simulated bank and of the platform as its merchant. NEVER use in production:
production keys come from the environment (see docs)."""

DEV_MERCHANT_ID = "AFTERSCHOOL-DEV"
DEV_MERCHANT_PRIVATE_KEY = "5e7399fddd50dcdcc5e84a654d54f85062bf2e96daf10ed833dac1906d9539c1"
DEV_MERCHANT_PUBLIC_KEY = (
    "e1531564083599a6c9bf250f4d0347d2408536b314fcabef969b33d70ca49e64"
    "f966cfcedc5c63e8c721cd54735d981e743fded509b5acdafbc1dffee9ef9f12"
)
DEV_BANK_PRIVATE_KEY = "397f48a2cf3daa4e322313307ea8376fc3e1e5d914305828b99f54dcd3ea84a2"
DEV_BANK_PUBLIC_KEY = (
    "372fab229a1b17b9ef50539b88870d12fbeae7c7d12a7439cbc58e08fdcabfd1"
    "ba272270a31fd11868b1adae0fcabb207065cdfde439062031200fee52f2439c"
)

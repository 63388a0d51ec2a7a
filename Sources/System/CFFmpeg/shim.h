#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>
#include <libswscale/swscale.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libavutil/error.h>
#include <errno.h>

// Function-like macros Swift cannot import.
static inline int likeness_averror_eagain(void) { return AVERROR(EAGAIN); }
static inline int likeness_averror_eof(void) { return AVERROR_EOF; }
static inline int likeness_averror_invaliddata(void) { return AVERROR_INVALIDDATA; }
static inline int64_t likeness_av_nopts_value(void) { return AV_NOPTS_VALUE; }
static inline int likeness_averror_decoder_not_found(void) { return AVERROR_DECODER_NOT_FOUND; }
static inline int likeness_codec_flag_global_header(void) { return AV_CODEC_FLAG_GLOBAL_HEADER; }

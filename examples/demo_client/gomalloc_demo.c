// SPDX-License-Identifier: GPL-2.0
/* A small client of gomalloc's public API: what `make run` loads. */
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <gomalloc.h>

static void *demo_objs[64];
static void *demo_large;
static char *demo_tiny[8];

static int __init gomalloc_demo_init(void)
{
	size_t size = 8;
	int i;

	for (i = 0; i < ARRAY_SIZE(demo_objs); i++, size = 8 + (size * 7) % 32761) {
		demo_objs[i] = gomalloc(size, GFP_KERNEL);
		if (!demo_objs[i])
			goto fail;
		memset(demo_objs[i], 0x5a, size);
	}
	demo_large = gomalloc(256 * 1024, GFP_KERNEL | __GFP_ZERO);
	if (!demo_large)
		goto fail;
	for (i = 0; i < ARRAY_SIZE(demo_tiny); i++) {
		demo_tiny[i] = gomalloc_tiny(6, GFP_KERNEL);
		if (!demo_tiny[i])
			goto fail;
		strscpy(demo_tiny[i], "tiny!", 6);
	}
	pr_info("gomalloc_demo: %zu objects up to %zu bytes, one of 256 KiB (usable %zu), %zu tiny\n",
		ARRAY_SIZE(demo_objs), size, gomalloc_usable_size(demo_large),
		ARRAY_SIZE(demo_tiny));
	return 0;
fail:
	pr_err("gomalloc_demo: allocation failed\n");
	for (i = 0; i < ARRAY_SIZE(demo_objs); i++)
		gofree(demo_objs[i]);
	gofree(demo_large);
	for (i = 0; i < ARRAY_SIZE(demo_tiny); i++)
		gofree(demo_tiny[i]);
	return -ENOMEM;
}

static void __exit gomalloc_demo_exit(void)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(demo_objs); i++)
		gofree(demo_objs[i]);
	gofree(demo_large);
	for (i = 0; i < ARRAY_SIZE(demo_tiny); i++)
		gofree(demo_tiny[i]);
	pr_info("gomalloc_demo: freed everything\n");
}

module_init(gomalloc_demo_init);
module_exit(gomalloc_demo_exit);
MODULE_LICENSE("GPL");
MODULE_AUTHOR("gomalloc developers");
MODULE_DESCRIPTION("Demo client of the gomalloc allocator");

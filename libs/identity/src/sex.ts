/** Sex as the register records it and the personal identification number encodes it (giới tính). */
export type Sex = 'male' | 'female';
